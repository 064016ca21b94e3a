import NetworkCore

extension NetworkStore: NetworkRecordSource {}

import Foundation

/// A file of a server's `personality` (until 2.57): where the guest should put it, and its contents as the
/// request gave them (base64). The config drive and the metadata service carry them (`content/NNNN`).
public struct InjectedFile: Sendable, Codable, Equatable {
    public var path: String
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }

    /// Nova's checks of a personality: a list of `{path, contents}` with base64 contents (400), within the
    /// `injected_files`, `injected_file_path_bytes` and `injected_file_content_bytes` limits (403, Nova's
    /// OnsetFile*LimitExceeded). A negative limit is unlimited.
    public static func parse(_ value: JSON?, limits: QuotaLimits) throws(NovaError) -> [InjectedFile]? {
        guard let value, !value.isNull else { return nil }
        guard let entries = value.arrayValue else {
            throw .badRequest("Invalid input for field/attribute personality. Value must be a list")
        }
        var files: [InjectedFile] = []
        for entry in entries {
            guard let object = entry.objectValue, object.keys.allSatisfy({ $0 == "path" || $0 == "contents" }),
                let path = object["path"]?.stringValue, let contents = object["contents"]?.stringValue
            else {
                throw .badRequest(
                    "Invalid input for field/attribute personality. Each file is {\"path\": ..., \"contents\": ...}")
            }
            guard let decoded = Data(base64Encoded: contents, options: .ignoreUnknownCharacters) else {
                throw .badRequest("Personality content for \(path) cannot be decoded")
            }
            let pathLimit = limits.limit(.injectedFilePathBytes)
            if pathLimit >= 0, path.utf8.count > pathLimit {
                throw .forbidden("Personality file path exceeds maximum \(pathLimit)")
            }
            let contentLimit = limits.limit(.injectedFileContentBytes)
            if contentLimit >= 0, decoded.count > contentLimit {
                throw .forbidden("Personality file content exceeds maximum \(contentLimit)")
            }
            files.append(InjectedFile(path: path, contents: contents))
        }
        let countLimit = limits.limit(.injectedFiles)
        if countLimit >= 0, files.count > countLimit { throw .forbidden("Personality file limit exceeded") }
        return files
    }
}

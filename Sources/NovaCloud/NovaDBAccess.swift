import Logging
import NovaDB

/// Opening the database (and so applying migrations) without starting a cloud: `nova-server db sync`.
public enum NovaDBAccess {
    public static func open(connection: String?, logger: Logger) async throws -> Database {
        try await Database.open(connection: connection, logger: logger)
    }
}

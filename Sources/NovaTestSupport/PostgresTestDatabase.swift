import Foundation

/// With `NOVA_TEST_POSTGRES_URL` set (scripts/test.sh sets it to a throwaway server), every cloud under test
/// keeps its stores in a PostgreSQL database of its own, named after its data directory (so a cloud restarted
/// on the same directory finds its database again).
public enum PostgresTestDatabase {
    public static var serverURL: String? {
        ProcessInfo.processInfo.environment["NOVA_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL of the database for `directory`, created if it does not exist.
    public static func url(forDataDirectory directory: String, server: String) throws -> String {
        let tail = URL(fileURLWithPath: directory).lastPathComponent.lowercased()
        let name = "nova_" + String(tail.map { $0.isLetter || $0.isNumber ? $0 : "_" }.suffix(50))
        guard var components = URLComponents(string: server) else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "bad URL \(server)"])
        }
        let exists = try psql(server, "SELECT 1 FROM pg_database WHERE datname = '\(name)'")
        if exists.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
            _ = try psql(server, "CREATE DATABASE \(name)")
        }
        components.path = "/" + name
        return components.string ?? server
    }

    static func psql(_ server: String, _ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [server, "-v", "ON_ERROR_STOP=1", "-tAc", command]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "psql failed: \(command)"])
        }
        return String(decoding: data, as: UTF8.self)
    }
}

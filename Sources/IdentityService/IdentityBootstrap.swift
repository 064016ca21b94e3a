import Foundation
import NovaDB

/// First-start setup of identity: the default domain, the standard roles and their implications, an `admin`
/// project and user (admin on the system too), a `demo` project with a member user, and the catalog. Idempotent: a restart changes nothing unless a password is given.
public struct IdentityBootstrap: Sendable {
    public static let roleNames = ["admin", "member", "reader", "manager", "service"]

    public struct Result: Sendable {
        public var adminPassword: String?
        public var demoPassword: String?
    }

    let store: IdentityStore

    public init(store: IdentityStore) { self.store = store }

    /// - Returns: the passwords that were set now (nil for users that already existed and kept theirs).
    public func run(adminPassword: String?, demoPassword: String?) async throws -> Result {
        try await store.ensureDomain(id: IdentityStore.defaultDomainID, name: "Default")
        for role in Self.roleNames { try await store.ensureRole(name: role) }
        let roles = Dictionary(uniqueKeysWithValues: try await store.roles().map { ($0.name, $0.id) })
        let admin = try await ensureProject("admin", "Bootstrap project for initializing the cloud.")
        let demo = try await ensureProject("demo", "Demo project")
        _ = try await ensureProject("service", "Project for the services")
        let adminResult = try await ensureUser("admin", password: adminPassword, project: admin)
        let demoResult = try await ensureUser("demo", password: demoPassword, project: demo)
        for project in [admin, demo] {
            try await store.assignRole(userID: adminResult.id, projectID: project, roleID: roles["admin"]!)
        }
        try await store.assignRole(userID: demoResult.id, projectID: demo, roleID: roles["member"]!)
        try await store.assignRole(userID: demoResult.id, projectID: demo, roleID: roles["reader"]!)
        // As keystone-manage bootstrap: the admin holds admin on the system too, and each default role brings
        // the ones below it (admin, manager, member, reader).
        try await store.assignSystemRole(actorType: "user", actorID: adminResult.id, roleID: roles["admin"]!)
        for (prior, implied) in [("admin", "manager"), ("manager", "member"), ("member", "reader")] {
            try await store.addRoleInference(priorRoleID: roles[prior]!, impliedRoleID: roles[implied]!)
        }
        try await ServiceCatalog.seed(into: store)
        return Result(adminPassword: adminResult.password, demoPassword: demoResult.password)
    }

    func ensureProject(_ name: String, _ description: String) async throws -> String {
        if let existing = try await store.projects(name: name, domainID: IdentityStore.defaultDomainID).first {
            return existing.id
        }
        let id = Self.newID()
        try await store.createProject(
            ProjectRecord(
                id: id, name: name, domainID: IdentityStore.defaultDomainID, description: description, enabled: true))
        return id
    }

    func ensureUser(_ name: String, password: String?, project: String) async throws -> (id: String, password: String?)
    {
        if let existing = try await store.users(name: name, domainID: IdentityStore.defaultDomainID).first {
            if let password {
                try await store.setPassword(userID: existing.id, hash: try PasswordHasher.hash(password))
            }
            return (existing.id, password)
        }
        let chosen = password ?? Self.generatePassword()
        let id = Self.newID()
        try await store.createUser(
            UserRecord(
                id: id, name: name, domainID: IdentityStore.defaultDomainID,
                passwordHash: try PasswordHasher.hash(chosen), enabled: true, defaultProjectID: project))
        return (id, chosen)
    }

    /// Keystone ids: 32 hex characters.
    public static func newID() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<20).map { _ in alphabet.randomElement()! })
    }
}

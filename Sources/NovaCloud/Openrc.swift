import Foundation

/// The openrc files a user sources to point `openstack` and `nova` at this cloud.
public enum Openrc {
    public static func text(authURL: String, user: String, password: String, project: String) -> String {
        """
        export OS_AUTH_URL=\(authURL)
        export OS_IDENTITY_API_VERSION=3
        export OS_USERNAME=\(user)
        export OS_PASSWORD='\(password.replacingOccurrences(of: "'", with: "'\\''"))'
        export OS_PROJECT_NAME=\(project)
        export OS_USER_DOMAIN_NAME=Default
        export OS_PROJECT_DOMAIN_NAME=Default
        export OS_REGION_NAME=RegionOne
        export OS_INTERFACE=public

        """
    }

    /// Writes `admin-openrc.sh` and `demo-openrc.sh` for the passwords set on this start; a file whose user kept
    /// an unknown (hashed) password is left as it is.
    public static func write(cloud: AllInOneCloud) throws -> [String] {
        try write(options: cloud.options, firstStart: cloud.firstStart, updateExisting: true)
    }

    /// The same for any process serving identity; `updateExisting` points kept files at this listener.
    static func write(options: CloudOptions, firstStart: FirstStart.Result, updateExisting: Bool) throws -> [String] {
        let authURL = "\(options.listenerScheme)://\(options.listenHost):\(options.listenPort)/identity"
        var written: [String] = []
        for (user, password, project) in [
            ("admin", firstStart.adminPassword, "admin"), ("demo", firstStart.demoPassword, "demo"),
        ] {
            let path = options.dataDirectory + "/\(user)-openrc.sh"
            if let password {
                try writePrivate(text(authURL: authURL, user: user, password: password, project: project), to: path)
            } else if updateExisting, let existing = try? String(contentsOfFile: path, encoding: .utf8) {
                // The listener may have moved: keep the password, update the URL.
                let updated =
                    existing.split(separator: "\n").map { line in
                        line.hasPrefix("export OS_AUTH_URL=") ? "export OS_AUTH_URL=\(authURL)" : String(line)
                    }.joined(separator: "\n") + "\n"
                try writePrivate(updated, to: path)
            }
            written.append(path)
        }
        return written
    }

    /// Writes `text` to `path` readable by this user alone (it holds a password), replacing the file whole:
    /// the new file is made with mode 0600 beside it and renamed over it, so no reader sees it half written
    /// or with wider permissions.
    static func writePrivate(_ text: String, to path: String) throws {
        let temporary = path + ".new"
        unlink(temporary)
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary]) }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}

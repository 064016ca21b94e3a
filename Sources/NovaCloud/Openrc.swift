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
                try text(authURL: authURL, user: user, password: password, project: project)
                    .write(toFile: path, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            } else if updateExisting, let existing = try? String(contentsOfFile: path, encoding: .utf8) {
                // The listener may have moved: keep the password, update the URL.
                let updated =
                    existing.split(separator: "\n").map { line in
                        line.hasPrefix("export OS_AUTH_URL=") ? "export OS_AUTH_URL=\(authURL)" : String(line)
                    }.joined(separator: "\n") + "\n"
                try updated.write(toFile: path, atomically: true, encoding: .utf8)
            }
            written.append(path)
        }
        return written
    }
}

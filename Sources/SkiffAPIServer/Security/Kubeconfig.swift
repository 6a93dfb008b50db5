import Foundation

/// Writes kubeconfig files: the admin's, and those handed to agents.
enum Kubeconfig {
    /// A kubeconfig with one cluster (`skiff`), one user authenticated by `token`, and a current context.
    static func render(server: String, caPEM: String, token: String, user: String = "admin") -> String {
        let ca = Data(caPEM.utf8).base64EncodedString()
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            certificate-authority-data: \(ca)
            server: \(server)
          name: skiff
        contexts:
        - context:
            cluster: skiff
            user: \(user)
          name: skiff
        current-context: skiff
        preferences: {}
        users:
        - name: \(user)
          user:
            token: \(token)

        """
    }

    static func write(to url: URL, server: String, caPEM: String, token: String) throws {
        try Data(render(server: server, caPEM: caPEM, token: token).utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}

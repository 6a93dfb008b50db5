import Foundation
import SkiffAPI

/// How to reach and authenticate to an API server: what a kubeconfig context resolves to.
public struct ClientConfig: Sendable {
    /// `https://host:port`.
    public var server: String
    /// PEM of the CA that signed the server's certificate (`nil`: the system's roots).
    public var certificateAuthorityPEM: String?
    public var insecureSkipTLSVerify: Bool
    public var bearerToken: String?
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    /// The context's namespace (`default` when unset).
    public var namespace: String
    public var userAgent: String

    public init(server: String, certificateAuthorityPEM: String? = nil, insecureSkipTLSVerify: Bool = false,
                bearerToken: String? = nil, clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil,
                namespace: String = "default", userAgent: String = "skiff/0.1.0") {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.bearerToken = bearerToken
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.namespace = namespace
        self.userAgent = userAgent
    }

    /// Loads a kubeconfig (`path`, else `$KUBECONFIG`'s first entry, else `~/.kube/config`) and resolves
    /// `context` (else its current context).
    public static func fromKubeconfig(path: String? = nil, context: String? = nil) throws(ClientConfigError) -> ClientConfig {
        let env = ProcessInfo.processInfo.environment
        let file = path ?? env["KUBECONFIG"]?.split(separator: ":").first.map(String.init)
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".kube/config").path
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ClientConfigError("cannot read kubeconfig \(file)")
        }
        let document: JSONValue
        do { document = try JSONValue(yaml: text) } catch { throw ClientConfigError("invalid kubeconfig \(file): \(error)") }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        return try resolve(document, context: context, baseDirectory: base)
    }

    static func named(_ list: JSONValue?, _ name: String, _ field: String) -> JSONValue? {
        list?.arrayValue?.first { $0["name"]?.stringValue == name }?[field]
    }

    static func resolve(_ document: JSONValue, context: String?, baseDirectory: URL) throws(ClientConfigError) -> ClientConfig {
        guard let contextName = context ?? document["current-context"]?.stringValue, !contextName.isEmpty else {
            throw ClientConfigError("kubeconfig has no current context")
        }
        guard let ctx = named(document["contexts"], contextName, "context") else {
            throw ClientConfigError("context \"\(contextName)\" does not exist")
        }
        let clusterName = ctx["cluster"]?.stringValue ?? ""
        guard let cluster = named(document["clusters"], clusterName, "cluster"), let server = cluster["server"]?.stringValue else {
            throw ClientConfigError("cluster \"\(clusterName)\" does not exist or has no server")
        }
        let user = named(document["users"], ctx["user"]?.stringValue ?? "", "user") ?? [:]
        func data(_ inline: String, _ file: String, in object: JSONValue) throws(ClientConfigError) -> String? {
            if let encoded = object[inline]?.stringValue {
                guard let decoded = Data(base64Encoded: encoded) else { throw ClientConfigError("\(inline) is not valid base64") }
                return String(decoding: decoded, as: UTF8.self)
            }
            if let path = object[file]?.stringValue {
                let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path)
                guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw ClientConfigError("cannot read \(url.path)") }
                return text
            }
            return nil
        }
        var token = user["token"]?.stringValue
        if token == nil, let tokenFile = user["tokenFile"]?.stringValue {
            token = (try? String(contentsOfFile: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return ClientConfig(
            server: server,
            certificateAuthorityPEM: try data("certificate-authority-data", "certificate-authority", in: cluster),
            insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"]?.boolValue ?? false,
            bearerToken: token,
            clientCertificatePEM: try data("client-certificate-data", "client-certificate", in: user),
            clientKeyPEM: try data("client-key-data", "client-key", in: user),
            namespace: ctx["namespace"]?.stringValue ?? "default")
    }
}

/// A kubeconfig that cannot be used, and why.
public struct ClientConfigError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

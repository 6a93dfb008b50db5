public import Foundation
import Synchronization

/// Who made a request, as Kubernetes' `user.Info` describes it.
public struct UserInfo: Sendable, Equatable {
    public var name: String
    public var uid: String
    public var groups: [String]

    public init(name: String, uid: String = "", groups: [String]) {
        self.name = name
        self.uid = uid
        self.groups = groups
    }

    /// `system:masters` may do anything (the admin kubeconfig's user).
    public var isClusterAdmin: Bool { groups.contains("system:masters") }
}

/// Authenticates requests by bearer token (a static token file, as `--token-auth-file` reads it) or by
/// a client certificate our CA signed. Tokens can be added at run time (node join tokens).
public final class Authenticator: Sendable {
    let tokens: Mutex<[String: UserInfo]>
    let tokenFile: URL?

    /// Reads `token,user,uid,"group1,group2"` lines from `tokenFile` when given.
    public init(tokenFile: URL?) throws {
        self.tokenFile = tokenFile
        var parsed: [String: UserInfo] = [:]
        if let tokenFile, let text = try? String(contentsOf: tokenFile, encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let fields = Self.csvFields(line)
                guard fields.count >= 2, !fields[0].isEmpty else { continue }
                let groups = fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
                parsed[fields[0]] = UserInfo(name: fields[1], uid: fields.count > 2 ? fields[2] : "", groups: groups)
            }
        }
        tokens = Mutex(parsed)
    }

    /// The first token of `user`, if any.
    func token(forUser user: String) -> String? {
        tokens.withLock { tokens in tokens.first { $0.value.name == user }?.key }
    }

    /// Adds a token (and appends it to the token file so it survives a restart).
    public func addToken(_ token: String, user: UserInfo) throws {
        tokens.withLock { $0[token] = user }
        guard let tokenFile else { return }
        let line = "\(token),\(user.name),\(user.uid),\"\(user.groups.joined(separator: ","))\"\n"
        if let handle = try? FileHandle(forWritingTo: tokenFile) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(line.utf8))
        } else {
            try Data(line.utf8).write(to: tokenFile, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile.path)
        }
    }

    /// The user behind a request's credentials; `nil` when it has none; throws when they are invalid.
    func authenticate(authorization: String?, certificate: ClientCertificateIdentity?) -> AuthenticationResult {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingSpaces()
                if let user = tokens.withLock({ $0[token] }) {
                    return .authenticated(user.withAuthenticatedGroup())
                }
                return .invalid
            }
        }
        if let certificate, !certificate.commonName.isEmpty {
            return .authenticated(UserInfo(name: certificate.commonName, groups: certificate.organizations).withAuthenticatedGroup())
        }
        return .anonymous
    }

    static func csvFields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for c in line {
            if c == "\"" { quoted.toggle() } else if c == "," && !quoted {
                fields.append(current)
                current = ""
            } else { current.append(c) }
        }
        fields.append(current)
        return fields.map { $0.trimmingSpaces() }
    }
}

enum AuthenticationResult: Sendable {
    case authenticated(UserInfo)
    case anonymous
    case invalid
}

extension UserInfo {
    func withAuthenticatedGroup() -> UserInfo {
        var copy = self
        if !copy.groups.contains("system:authenticated") { copy.groups.append("system:authenticated") }
        return copy
    }
}

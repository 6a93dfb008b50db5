import Synchronization

/// Named readiness checks behind `/readyz` (and `/healthz`): the server is ready when all pass.
final class HealthState: Sendable {
    let checks = Mutex<[(name: String, ok: Bool)]>([])

    /// Registers a check that starts failing.
    func register(_ name: String) {
        checks.withLock { $0.append((name, false)) }
    }

    func set(_ name: String, ok: Bool) {
        checks.withLock { checks in
            if let i = checks.firstIndex(where: { $0.name == name }) { checks[i].ok = ok } else { checks.append((name, ok)) }
        }
    }

    var isReady: Bool { checks.withLock { $0.allSatisfy(\.ok) } }

    /// The `?verbose` report: `[+]name ok` lines and a summary, as upstream prints it.
    func verboseReport(name: String) -> String {
        let lines = checks.withLock { $0.map { "[\($0.ok ? "+" : "-")]\($0.name) \($0.ok ? "ok" : "failed")" } }
        let ok = isReady
        let endpoint = name.dropFirst()
        return (["[+]ping ok"] + lines).joined(separator: "\n") + "\n\(endpoint) check \(ok ? "passed" : "failed")\n"
    }
}

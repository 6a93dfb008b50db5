import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus

/// Options every long-running command shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "Where state, credentials and the kubeconfig live (default: /var/lib/skiff as root, ~/.skiff otherwise).")
    var dataDir: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["SKIFF_LOG_LEVEL"] ?? "info"

    var dataDirectory: URL {
        if let dataDir { return URL(fileURLWithPath: dataDir) }
        if getuid() == 0 { return URL(fileURLWithPath: "/var/lib/skiff") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".skiff")
    }

    func validateLogLevel() throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical (got \"\(logLevel)\")")
        }
        return level
    }
}

/// Process-wide logging and metrics, set up once.
enum Observability {
    /// The registry `/metrics` renders.
    nonisolated(unsafe) static var prometheus = PrometheusCollectorRegistry()

    static func bootstrap(level: Logger.Level) {
        ProcessLimits.raiseOpenFileLimit()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
    }
}

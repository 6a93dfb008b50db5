import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffControllers

/// `skiff controller-manager`: the controller manager alone, against any API server.
struct ControllerManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller-manager",
        abstract: "Run the controller manager alone (garbage collector, namespace controller, ...).",
        discussion: """
            Connects with --kubeconfig (else $KUBECONFIG, else DATA_DIR/kubeconfig.yaml when it exists, else \
            ~/.kube/config). With --leader-elect=true (the default) it runs the controllers only while it holds \
            the kube-system/kube-controller-manager Lease, so a second instance is a hot standby.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var controllerOptions: ControllerOptions

    @OptionGroup var client: ClientOptions

    @OptionGroup var election: LeaderElectionOptions

    @Option(help: "Controllers to run: '*' for all, a name to add one, '-name' to leave one out (comma-separated).")
    var controllers: String = "*"

    @Option(name: .customLong("root-ca-file"),
            help: "The CA bundle published as kube-root-ca.crt in every namespace (default: the kubeconfig's CA).")
    var rootCAFile: String?

    func validate() throws {
        _ = try selectedNames()
        _ = try rootCA(kubeconfigCA: nil)
    }

    /// The names `--controllers` selects among every controller this build has.
    func selectedNames() throws -> Set<String> {
        let known = Set(ControllerManager.defaultControllers.map(\.name) + [RootCACertPublisher.controllerName])
        var wanted = Set<String>()
        for item in controllers.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            if item == "*" {
                wanted.formUnion(known)
            } else if item.hasPrefix("-") {
                let name = String(item.dropFirst())
                guard known.contains(name) else { throw ValidationError("--controllers: unknown controller \"\(name)\"") }
                wanted.remove(name)
            } else {
                guard known.contains(item) else {
                    throw ValidationError("--controllers: unknown controller \"\(item)\" (known: \(known.sorted().joined(separator: ", ")))")
                }
                wanted.insert(item)
            }
        }
        return wanted
    }

    /// The CA bundle to publish: `--root-ca-file`, else the kubeconfig's CA (as upstream); nil when neither.
    func rootCA(kubeconfigCA: String?) throws -> String? {
        guard let rootCAFile else { return kubeconfigCA }
        do {
            let text = try String(contentsOfFile: rootCAFile, encoding: .utf8)
            guard text.contains("-----BEGIN CERTIFICATE-----") else {
                throw ValidationError("--root-ca-file: \(rootCAFile) holds no PEM certificate")
            }
            return text
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("--root-ca-file: cannot read \(rootCAFile): \(error.localizedDescription)")
        }
    }

    func run() async throws {
        let level = try common.validateLogLevel()
        Observability.bootstrap(level: level)
        let logger = Logger(label: "skiff.controller-manager")
        let config = try client.clientConfig(dataDirectory: common.dataDirectory, userAgent: "skiff-controller-manager")
        let timing = try election.timing()
        let wanted = try selectedNames()
        let rootCA = try rootCA(kubeconfigCA: config.certificateAuthorityPEM)
        if rootCA == nil && wanted.contains(RootCACertPublisher.controllerName) {
            logger.warning("no CA bundle known (no --root-ca-file, none in the kubeconfig): not publishing kube-root-ca.crt")
        }
        let selected = ControllerManager.defaultControllers(
            terminatedPodGCThreshold: controllerOptions.terminatedPodGCThreshold, rootCA: rootCA).filter { wanted.contains($0.name) }
        let manager = ControllerManager(
            config: config,
            configuration: .init(
                leaderElect: election.leaderElect, leaseNamespace: election.leaseNamespace,
                leaseName: election.leaseName ?? "kube-controller-manager",
                leaseDuration: timing.lease, renewDeadline: timing.renew, retryPeriod: timing.retry,
                controllers: selected),
            logger: logger)
        logger.info("starting", metadata: ["server": "\(config.server)", "identity": "\(manager.identity)",
                                           "leaderElect": "\(election.leaderElect)"])
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: manager)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Go's duration text as kube flags take it: `1h30m`, `15s`, `500ms`.
enum GoDuration {
    static func parse(_ text: String, option: String) throws -> Duration {
        var total = Duration.zero
        var rest = Substring(text)
        guard !rest.isEmpty else { throw ValidationError("\(option): empty duration") }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(digits), value >= 0 else { throw ValidationError("\(option): invalid duration \"\(text)\"") }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "h": scale = 3600
            case "m": scale = 60
            case "s": scale = 1
            case "ms": scale = 1e-3
            case "us", "µs": scale = 1e-6
            case "ns": scale = 1e-9
            default: throw ValidationError("\(option): invalid duration \"\(text)\" (units: h, m, s, ms)")
            }
            total += .nanoseconds(Int64(value * scale * 1e9))
        }
        return total
    }
}

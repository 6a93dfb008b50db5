import Foundation
import Logging
import SkiffAPI

/// Probes and lifecycle hooks: one task per probe of a running container (sleeping between probes, cancelled
/// when the container exits), whose results go into the pod machine; postStart after a start, preStop
/// before the SIGTERM of a graceful stop.
extension PodWorkers {
    /// Where the probes of a pod's container reach it.
    func probeTarget(uid: String, containerID: String, spec: core.v1.Container) -> Prober.Target {
        var ports: [String: Int] = [:]
        for port in spec.ports ?? [] {
            if let name = port.name { ports[name] = Int(port.containerPort) }
        }
        return Prober.Target(runtime: runtime, containerID: containerID, ip: workers[uid]?.sandbox?.ip ?? hostIP, ports: ports)
    }

    func startProbers(uid: String, containerID: String, spec: core.v1.Container) {
        let target = probeTarget(uid: uid, containerID: containerID, spec: spec)
        var tasks: [Task<Void, Never>] = []
        for kind in PodMachine.ProbeKind.allCases {
            guard let probe = ProbeSpec(spec.probe(kind)) else { continue }
            let prober = self.prober
            tasks.append(Task { [weak self] in
                try? await Task.sleep(for: probe.initialDelay)
                while !Task.isCancelled {
                    guard let self else { return }
                    if await self.wantsProbe(uid: uid, containerID: containerID, kind: kind) {
                        let result = await prober.run(probe.handler, target: target, timeout: probe.timeout)
                        guard !Task.isCancelled else { return }
                        await self.probed(uid: uid, containerID: containerID, kind: kind, result: result)
                    }
                    try? await Task.sleep(for: probe.period)
                }
            })
        }
        if !tasks.isEmpty { probers[containerID] = tasks }
    }

    func stopProbers(_ containerID: String) {
        for task in probers.removeValue(forKey: containerID) ?? [] { task.cancel() }
    }

    func wantsProbe(uid: String, containerID: String, kind: PodMachine.ProbeKind) -> Bool {
        workers[uid]?.machine.wantsProbe(containerID: containerID, kind: kind) ?? false
    }

    func probed(uid: String, containerID: String, kind: PodMachine.ProbeKind, result: Prober.Result) {
        guard workers[uid] != nil else { return }
        if !result.success {
            logger.debug("probe failed", metadata: ["pod": "\(uid)", "container": "\(containerID)", "probe": "\(kind.rawValue)",
                                                   "output": "\(result.output)"])
        }
        workers[uid]?.machine.probed(containerID: containerID, kind: kind, success: result.success, output: result.output,
                                     now: Date())
        sync(uid)
    }

    // MARK: Lifecycle hooks

    /// The pod's name in hook messages: `name_namespace(uid)`.
    private func podDescription(_ uid: String) -> String { workers[uid]?.machine.podDescription ?? uid }

    /// Runs the container's postStart hook (if any); a failure kills it (`FailedPostStartHook`).
    func runPostStart(uid: String, containerID: String, spec: core.v1.Container) {
        guard let handler = ProbeHandler(spec.lifecycle?.postStart) else { return }
        let target = probeTarget(uid: uid, containerID: containerID, spec: spec)
        let name = spec.name
        let pod = podDescription(uid)
        let prober = self.prober
        let task = Task { [weak self] in
            guard let message = await Self.runHook(handler, prober: prober, target: target, timeout: nil, container: name, pod: pod),
                  !Task.isCancelled else { return }
            await self?.postStartFailed(uid: uid, containerID: containerID, message: message)
        }
        probers[containerID, default: []].append(task)
    }

    private func postStartFailed(uid: String, containerID: String, message: String) {
        guard let pod = workers[uid]?.pod else { return }
        let grace = Duration.seconds(pod.terminationGracePeriod)
        workers[uid]?.machine.postStartFailed(containerID: containerID, message: message, grace: grace, now: Date())
        sync(uid)
    }

    /// A stop the machine asked for. A graceful one runs the container's preStop hook first (once), within
    /// the grace period: the machine's SIGKILL at the deadline bounds it.
    func stop(uid: String, containerID: String, force: Bool) {
        guard !force, let worker = workers[uid], !worker.preStopped.contains(containerID),
              let name = worker.machine.containerName(running: containerID),
              let spec = worker.pod.container(named: name),
              let handler = ProbeHandler(spec.lifecycle?.preStop)
        else {
            runtime.stop(containerID: containerID, force: force)
            return
        }
        workers[uid]?.preStopped.insert(containerID)
        let target = probeTarget(uid: uid, containerID: containerID, spec: spec)
        let deadline = worker.machine.stopDeadline(containerID: containerID) ?? Date().addingTimeInterval(30)
        let timeout = Duration.milliseconds(Int64(max(0, deadline.timeIntervalSinceNow) * 1000))
        let pod = podDescription(uid)
        let prober = self.prober
        let runtime = self.runtime
        Task { [weak self] in
            if let message = await Self.runHook(handler, prober: prober, target: target, timeout: timeout, container: name, pod: pod) {
                await self?.preStopFailed(uid: uid, container: name, message: message)
            }
            runtime.stop(containerID: containerID, force: false)
        }
    }

    private func preStopFailed(uid: String, container: String, message: String) {
        guard let pod = workers[uid]?.pod else { return }
        record(pod, PodMachine.Event(container: container, isInit: false, type: "Warning", reason: "FailedPreStopHook",
                                     message: message))
    }

    /// Runs a hook's handler; nil on success, else upstream's failure message.
    static func runHook(_ handler: ProbeHandler, prober: Prober, target: Prober.Target, timeout: Duration?, container: String,
                        pod: String) async -> String? {
        switch handler {
        case .exec(let argv):
            let (code, output) = await prober.execWithCode(argv, target: target, timeout: timeout)
            if code == 0 { return nil }
            let error = code.map { "command '\(argv.joined(separator: " "))' exited with \($0): " } ?? output
            let quoted = DownwardAPI.goQuote(code == nil ? "" : output)
            return "Exec lifecycle hook ([\(argv.joined(separator: " "))]) for Container \"\(container)\" in Pod \"\(pod)\" "
                + "failed - error: \(error), message: \(quoted)"
        case .httpGet(let get):
            // Hooks succeed on 2xx only.
            let result = await prober.httpGet(get, target: target, timeout: timeout ?? .seconds(30), statusLimit: 300)
            if result.success { return nil }
            return "HTTP lifecycle hook (\(get.path)) for Container \"\(container)\" in Pod \"\(pod)\" failed - error: \(result.output)"
        case .tcpSocket:
            // Deprecated for hooks upstream, which accepts it and does nothing.
            return nil
        }
    }
}

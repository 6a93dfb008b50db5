import Foundation
import Logging
import SkiffAPI
import SkiffImages

/// Starting containers: the sandbox, the pod's volumes, each container's environment and mounts (which read
/// ConfigMaps and Secrets through the API, so this runs as a task that awaits without holding up other
/// pods), then the image and the runtime. What fails is reported into the machine as upstream reports it.
extension PodWorkers {
    static let imageReasons: Set = [ImagePullDecision.errImagePull, ImagePullDecision.errImageNeverPull,
                                    ImagePullDecision.errInvalidImageName]

    func beginStarts(_ uid: String, _ starts: [(name: String, restartCount: Int)]) {
        let previous = workers[uid]?.starting
        workers[uid]?.startsInFlight += 1
        startsUnderWay.begin()
        workers[uid]?.starting = Task { [weak self] in
            await previous?.value
            await self?.prepareAndStart(uid, starts)
        }
    }

    /// Where the pod's volumes go: `DATA_DIR/pods/<uid>`, or the sandbox's directory.
    func volumes(uid: String, sandbox: PodSandbox?) -> PodVolumes? {
        if let podsDirectory { return PodVolumes(podDirectory: podsDirectory.appendingPathComponent(uid)) }
        return sandbox.map { PodVolumes(podDirectory: $0.directory) }
    }

    private func active(_ uid: String) -> core.v1.Pod? {
        guard let worker = workers[uid], !worker.machine.isTerminating, !Task.isCancelled else { return nil }
        return worker.pod
    }

    func prepareAndStart(_ uid: String, _ starts: [(name: String, restartCount: Int)]) async {
        defer {
            workers[uid]?.startsInFlight -= 1
            startsUnderWay.end()
            sync(uid)
        }
        guard let pod = active(uid) else { return }
        if workers[uid]?.sandbox == nil {
            do {
                let (runtime, config) = (self.runtime, Self.sandboxConfig(uid: uid, pod: pod, dns: try formDNS(pod)))
                // Awaited first and assigned after: an access to `workers` must not span the suspension.
                let sandbox = try await BlockingCall.run(.sandbox) { try runtime.preparePod(config) }
                workers[uid]?.sandbox = sandbox
            } catch {
                let message = "Failed to create pod sandbox: \(error)"
                record(pod, PodMachine.Event(container: nil, isInit: false, type: "Warning", reason: "FailedCreatePodSandBox",
                                             message: message))
                for start in starts {
                    workers[uid]?.machine.failedToStart(start.name, reason: "ContainerCreating", message: message, now: Date())
                }
                return
            }
        }
        let sandbox = workers[uid]?.sandbox
        let downward = DownwardAPI(pod: pod, hostIP: hostIP, podIP: sandbox?.ip ?? hostIP,
                                   allocatableMilliCPU: allocatableMilliCPU, allocatableMemory: allocatableMemory)
        let objects = PodConfigObjects(source: configSource, namespace: pod.objectNamespace)
        var prepared: [String: PodVolumes.Prepared] = [:]
        if let volumes = volumes(uid: uid, sandbox: sandbox) {
            let (ready, failures) = await volumes.setUp(pod: pod, objects: objects, downward: downward)
            prepared = ready
            if !failures.isEmpty {
                guard active(uid) != nil else { return }
                for failure in failures {
                    record(pod, PodMachine.Event(container: nil, isInit: false, type: "Warning", reason: "FailedMount",
                                                 message: failure.event))
                }
                for start in starts {
                    workers[uid]?.machine.failedToStart(start.name, reason: "ContainerCreating", message: nil, now: Date(),
                                                        backOff: false)
                }
                return
            }
        }
        scheduleVolumeResync(uid, pod: pod)
        let inits = pod.initContainers
        let all = inits + pod.containers
        for start in starts {
            // The machine's containers are the spec's: one is always found.
            let spec = all.first { $0.name == start.name } ?? core.v1.Container(name: "")
            let isInit = inits.contains { $0.name == start.name }
            let environment: [String: String]
            let mounts: [ContainerMount]
            do {
                environment = try await ContainerEnvironment.resolve(container: spec, objects: objects, downward: downward)
                mounts = try ContainerMounts.make(container: spec, volumes: prepared, environment: environment)
            } catch {
                guard active(uid) != nil else { return }
                // kuberuntime's generateContainerConfig failed: no container is created.
                record(pod, PodMachine.Event(container: start.name, isInit: isInit, type: "Warning", reason: "Failed",
                                             message: "Error: \("\(error)")"))
                workers[uid]?.machine.failedToStart(start.name, reason: "CreateContainerConfigError", message: "\(error)",
                                                    now: Date(), backOff: false)
                continue
            }
            guard let current = active(uid) else { return }
            await launch(uid: uid, pod: current, spec: spec, isInit: isInit, restartCount: start.restartCount,
                         environment: environment, mounts: mounts)
        }
    }

    /// Sets the pod's volumes up again every `syncFrequency` while it runs, as the kubelet's periodic sync
    /// does, so changed ConfigMaps and Secrets reach the files (through the atomic `..data` swap).
    private func scheduleVolumeResync(_ uid: String, pod: core.v1.Pod) {
        let refreshed = { (volume: core.v1.Volume) in
            volume.configMap != nil || volume.secret != nil || volume.downwardAPI != nil || volume.projected != nil
        }
        guard workers[uid]?.resync == nil, pod.volumes.contains(where: refreshed) else { return }
        let period = syncFrequency
        workers[uid]?.resync = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: period)
                guard !Task.isCancelled, let self else { return }
                await self.resyncVolumes(uid)
            }
        }
    }

    /// One resync, after any start in flight (so a pod's volumes are never written twice at once).
    private func resyncVolumes(_ uid: String) async {
        let previous = workers[uid]?.starting
        let task = Task { [weak self] in
            await previous?.value
            guard let self, let pod = await self.active(uid) else { return }
            let sandbox = await self.workers[uid]?.sandbox
            guard let volumes = await self.volumes(uid: uid, sandbox: sandbox) else { return }
            let downward = DownwardAPI(pod: pod, hostIP: self.hostIP, podIP: sandbox?.ip ?? self.hostIP,
                                       allocatableMilliCPU: self.allocatableMilliCPU, allocatableMemory: self.allocatableMemory)
            let objects = PodConfigObjects(source: self.configSource, namespace: pod.objectNamespace)
            let (_, failures) = await volumes.setUp(pod: pod, objects: objects, downward: downward)
            for failure in failures {
                self.logger.debug("volume resync failed", metadata: ["pod": "\(uid)", "error": "\(failure.event)"])
            }
        }
        workers[uid]?.starting = task
        await task.value
    }

    /// The image decision and the runtime's start, with the kubelet's events.
    private func launch(uid: String, pod: core.v1.Pod, spec: core.v1.Container, isInit: Bool, restartCount: Int,
                        environment: [String: String], mounts: [ContainerMount]) async {
        let name = spec.name
        let event = { (type: String, reason: String, message: String) in
            self.record(pod, PodMachine.Event(container: name, isInit: isInit, type: type, reason: reason, message: message))
        }
        // What the kubelet's image manager and `startContainer` report, in their reasons and words.
        let failed = { (reason: String, message: String) in
            switch reason {
            case ImagePullDecision.errImageNeverPull: event("Warning", reason, message)
            case ImagePullDecision.errInvalidImageName: event("Warning", "InspectFailed", message)
            case ImagePullDecision.errImagePull: event("Warning", "Failed", message)
            default: break
            }
            event("Warning", "Failed", "Error: \(Self.imageReasons.contains(reason) ? reason : message)")
        }
        let imageName = spec.image ?? ""
        var image: Image?
        if let images {
            do {
                let policy = spec.imagePullPolicy.flatMap(PullPolicy.init(rawValue:))
                switch try images.pullDecision(image: imageName, policy: policy) {
                case .use(let found, let message):
                    image = found
                    event("Normal", "Pulled", message)
                case .fail(let reason, let message):
                    failed(reason, message)
                    workers[uid]?.machine.failedToStart(name, reason: reason, message: message, now: Date(), image: imageName)
                    return
                }
            } catch {
                failed(ImagePullDecision.errImagePull, "Failed to pull image \"\(imageName)\": \(error)")
                workers[uid]?.machine.failedToStart(name, reason: ImagePullDecision.errImagePull, message: "\(error)", now: Date(),
                                                    image: imageName)
                return
            }
        }
        if !runtime.enforcesLimits, restartCount == 0, let limits = spec.resources?.limits, !limits.isEmpty {
            let listed = limits.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", ")
            event("Warning", "LimitsNotEnforced",
                  "The process runtime cannot enforce resources.limits (\(listed)): container \(name) runs without them")
        }
        var launch = Self.launch(uid: uid, spec: spec, image: image, restartCount: restartCount, environment: environment)
        launch.mounts = mounts
        let (runtime, request) = (self.runtime, launch)
        startsInFlight += 1
        let started: Result<ContainerHandle, any Error>
        do { started = .success(try await BlockingCall.run(.start) { try runtime.start(request) }) } catch { started = .failure(error) }
        startsInFlight -= 1
        switch started {
        case .success(let handle):
            byContainer[handle.id] = uid
            let imageID = image.map { $0.repoDigests.first ?? $0.id.description } ?? ""
            event("Normal", "Created", "Created container: \(name)")
            event("Normal", "Started", "Started container \(name)")
            workers[uid]?.machine.started(name, containerID: handle.id, at: handle.startedAt, image: imageName, imageID: imageID)
            // A pod deleted while this start was under way: its next step stops the container; no probes or hooks.
            if workers[uid]?.machine.isTerminating == false {
                if !isInit || spec.isSidecar { startProbers(uid: uid, containerID: handle.id, spec: spec) }
                runPostStart(uid: uid, containerID: handle.id, spec: spec)
            }
            // A container that ended while this actor awaited its start: its exit applies now.
            if let exit = earlyExits.removeValue(forKey: handle.id) { exited(exit) }
        case .failure(let error as ContainerRuntimeError):
            // A program that cannot be executed fails at the runtime's start, after the container was created.
            if error.reason == "StartError" { event("Normal", "Created", "Created container: \(name)") }
            failed(error.reason, error.message)
            workers[uid]?.machine.failedToStart(name, reason: error.reason, message: error.message, now: Date())
        case .failure(let error):
            failed("RunContainerError", "\(error)")
            workers[uid]?.machine.failedToStart(name, reason: "RunContainerError", message: "\(error)", now: Date())
        }
        if startsInFlight == 0 { earlyExits.removeAll() }
    }

    /// The sandbox of a pod: hostname `spec.hostname` or the pod's name (63 characters at most, as the kubelet),
    /// and its resolver configuration (`dns`, from `formDNS`).
    static func sandboxConfig(uid: String, pod: core.v1.Pod, dns: DNSConfig? = nil) -> PodSandboxConfig {
        let spec = pod.spec
        let hostname = spec?.hostname ?? String(pod.objectName.prefix(63))
        return PodSandboxConfig(uid: uid, name: pod.objectName, namespace: pod.objectNamespace,
                                hostname: String(hostname.prefix(63).drop { $0 == "." || $0 == "-" }),
                                hostNetwork: spec?.hostNetwork ?? false,
                                shareProcessNamespace: spec?.shareProcessNamespace ?? false, dns: dns)
    }

    /// The pod's resolver configuration (`PodDNS`), with its warnings logged and, where upstream records
    /// them, recorded as events on the pod. Throws when the node's resolver file cannot be used.
    func formDNS(_ pod: core.v1.Pod) throws -> DNSConfig {
        let (config, warnings) = try dns.form(for: pod)
        for warning in warnings {
            logger.warning("pod DNS: \(warning.message)", metadata: ["pod": "\(pod.objectNamespace)/\(pod.objectName)"])
            if let reason = warning.reason {
                record(pod, PodMachine.Event(container: nil, isInit: false, type: "Warning", reason: reason, message: warning.message))
            }
        }
        return config
    }

    /// The process to run, as a container runtime builds it: `command` replaces the image's Entrypoint and
    /// drops its Cmd; `args` replaces Cmd, both with `$(VAR)` references to the container's environment
    /// expanded. Env: the image's, then the container's (`resolved` by `ContainerEnvironment`); resources
    /// from `resources`; stdin/tty as the spec says.
    static func launch(uid: String, spec: core.v1.Container, image: Image?, restartCount: Int,
                       environment resolved: [String: String]) -> ContainerLaunch {
        var environment: [String: String] = ["PATH": ProcessRuntime.defaultPath]
        let config = image?.config
        for entry in config?.Env ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { environment[String(parts[0])] = String(parts[1]) }
        }
        environment.merge(resolved) { _, new in new }
        let expand = { (args: [String]?) in
            args?.map { ContainerEnvironment.expand($0) { resolved[$0] } }
        }
        let command = expand(spec.command)
        let args = expand(spec.args)
        let argv: [String]
        if let command, !command.isEmpty {
            argv = command + (args ?? [])
        } else {
            argv = (config?.Entrypoint ?? []) + (args ?? config?.Cmd ?? [])
        }
        let workingDir = spec.workingDir ?? config?.WorkingDir
        var launch = ContainerLaunch(podUID: uid, name: spec.name, restartCount: restartCount, argv: argv,
                                     environment: environment, workingDirectory: workingDir,
                                     imageLayers: image?.layers.map(\.path) ?? [], resources: ContainerResources(containerSpec: spec),
                                     stdin: spec.stdin ?? false, tty: spec.tty ?? false)
        launch.stdinOnce = spec.stdinOnce ?? false
        return launch
    }
}

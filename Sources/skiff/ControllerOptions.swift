import ArgumentParser
import SkiffControllers

/// Controller settings both `skiff server` and `skiff controller-manager` take (kube-controller-manager's flags).
struct ControllerOptions: ParsableArguments {
    @Option(name: .customLong("terminated-pod-gc-threshold"),
            help: "Terminated pods kept before the pod garbage collector deletes the oldest; 0 keeps them all.")
    var terminatedPodGCThreshold: Int = PodGCController.defaultTerminatedPodThreshold

    func validate() throws {
        guard terminatedPodGCThreshold >= 0 else {
            throw ValidationError("--terminated-pod-gc-threshold must not be negative (got \(terminatedPodGCThreshold))")
        }
    }
}

import Foundation
import SkiffHost

extension HostCommand {
    /// A failed system call of the runc runtime, as the error a pod's status shows.
    static func error(_ what: String, _ code: Int32) -> ContainerRuntimeError {
        ContainerRuntimeError(reason: "RunContainerError", message: "\(what): \(String(cString: strerror(code)))")
    }
}

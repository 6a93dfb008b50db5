import Foundation
import SkiffAPI

/// Ingresses: the status subresource.
enum IngressKind {
    static let definition = KindDefinition(group: "networking.k8s.io", resource: "ingresses") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true) }
    }
}

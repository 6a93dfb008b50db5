import Foundation
import SkiffAPI

/// PodDisruptionBudgets: the status subresource the disruption controller and eviction write.
enum PodDisruptionBudgetKind {
    static let definition = KindDefinition(group: "policy", resource: "poddisruptionbudgets") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true) }
    }
}

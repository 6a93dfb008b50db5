import Foundation
import SkiffAPI

/// ResourceQuotas: the status subresource (no generation).
enum ResourceQuotaKind {
    static let definition = KindDefinition(group: "", resource: "resourcequotas") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: false, hasStatusSubresource: true) }
    }
}

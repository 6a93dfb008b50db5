import Foundation
import SkiffAPI

/// CustomResourceDefinitions: the status subresource.
enum CustomResourceDefinitionKind {
    static let definition = KindDefinition(group: "apiextensions.k8s.io", resource: "customresourcedefinitions") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true) }
    }
}

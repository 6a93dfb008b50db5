import Foundation
import SkiffAPI

/// PodTemplates: a pod template's defaults and pod spec validation.
enum PodTemplateKind {
    static let definition = KindDefinition(group: "", resource: "podtemplates") {
        $0.strategy = { _ in DefaultingStrategy(defaults: { PodDefaults.applyToTemplate(&$0, at: ["template"]) }) }
        $0.validate = { PodSpecValidation.validate($0["template"]?["spec"], at: "template.spec") }
    }
}

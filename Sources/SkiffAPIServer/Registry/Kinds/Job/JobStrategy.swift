import Foundation
import SkiffAPI

/// Jobs: defaults, and the selector and labels generated from the job's uid.
struct JobStrategy: ResourceStrategy {
    var tracksGeneration: Bool { true }
    var hasStatusSubresource: Bool { true }

    func prepareForCreate(_ object: inout JSONValue, context: StrategyContext) {
        object["status"] = nil
        JobKind.generateSelector(&object)
        JobKind.applyDefaults(&object)
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, context: StrategyContext) {
        object["status"] = old["status"]
        JobKind.applyDefaults(&object)
    }
}

import Foundation
import SkiffAPI
import SkiffClient

/// The pure arithmetic of the Deployment controller (upstream's `deployment/util`), apart from I/O.
enum DeploymentMath {
    /// Resolves an int-or-percent (`3`, `"25%"`) against `total`, rounding percentages up or down.
    static func resolve(_ value: IntOrString?, total: Int, roundUp: Bool, default fallback: String = "25%") -> Int {
        let text: String
        switch value ?? .string(fallback) {
        case .int(let int): return Int(int)
        case .string(let string): text = string
        }
        guard text.hasSuffix("%"), let percent = Int(text.dropLast()) else { return 0 }
        let scaled = percent * total
        return roundUp ? (scaled + 99) / 100 : scaled / 100
    }

    /// maxSurge (rounded up) and maxUnavailable (rounded down) of a rolling update; both zero would
    /// never progress, so maxUnavailable becomes 1 then (upstream's `ResolveFenceposts`).
    static func fenceposts(maxSurge: IntOrString?, maxUnavailable: IntOrString?, replicas: Int) -> (surge: Int, unavailable: Int) {
        let surge = resolve(maxSurge, total: replicas, roundUp: true)
        var unavailable = resolve(maxUnavailable, total: replicas, roundUp: false)
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, unavailable)
    }

    /// How many replicas the new ReplicaSet should have next during a rolling update
    /// (upstream's `NewRSNewReplicas`): grow up to `replicas + maxSurge` pods in all.
    static func newReplicaSetReplicas(desired: Int, maxSurge: Int, currentPodCount: Int, newReplicaSetReplicas: Int) -> Int {
        let maxTotal = desired + maxSurge
        if currentPodCount >= maxTotal { return newReplicaSetReplicas }
        let scaleUp = min(maxTotal - currentPodCount, desired - newReplicaSetReplicas)
        return newReplicaSetReplicas + max(0, scaleUp)
    }

    /// How many old pods may go now without dropping below `replicas - maxUnavailable`, counting
    /// the new ReplicaSet's unavailable pods as already missing (upstream's `reconcileOldReplicaSets`).
    static func maxScaledDown(allPods: Int, desired: Int, maxUnavailable: Int, newUnavailable: Int) -> Int {
        allPods - (desired - min(maxUnavailable, desired)) - newUnavailable
    }

    /// The pod-template hash. Upstream hashes the template's Go structure (spew-printed) with
    /// FNV-32a and the collision count, then encodes the decimal with `rand.SafeEncodeString`. Skiff
    /// hashes the template's JSON with keys sorted at every level (a stable rendering of the same
    /// content), appends the collision count as four little-endian bytes, and encodes the same way.
    static func podTemplateHash(_ template: JSONValue, collisionCount: Int? = nil) -> String {
        var hash: UInt32 = 2_166_136_261
        func feed(_ byte: UInt8) {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        for byte in canonical(template).serialized() { feed(byte) }
        if let collisionCount {
            let value = UInt32(truncatingIfNeeded: collisionCount)
            for shift in stride(from: 0, to: 32, by: 8) { feed(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }
        return safeEncode(String(hash))
    }

    /// `rand.SafeEncodeString`: maps every character onto consonants and digits that cannot spell words.
    static func safeEncode(_ text: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String(text.utf8.map { alphabet[Int($0) % alphabet.count] })
    }

    /// The value with object members sorted by key, recursively.
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var sorted = JSONObject(minimumCapacity: members.count)
            for key in members.keys.sorted() { sorted[key] = members[key].map(canonical) }
            return .object(sorted)
        case .array(let items): return .array(items.map(canonical))
        default: return value
        }
    }

    /// Whether two pod templates are the same apart from the `pod-template-hash` label
    /// (upstream's `EqualIgnoreHash`).
    static func templatesEqualIgnoringHash(_ a: core.v1.PodTemplateSpec?, _ b: core.v1.PodTemplateSpec?) -> Bool {
        func strip(_ t: core.v1.PodTemplateSpec?) -> core.v1.PodTemplateSpec {
            var t = t ?? core.v1.PodTemplateSpec()
            t.setLabel(WorkloadAnnotations.podTemplateHash, nil)
            if t.metadata == meta.v1.ObjectMeta() { t.metadata = nil }
            return t
        }
        return strip(a) == strip(b)
    }
}

extension DeploymentMath {
    /// One active ReplicaSet as proportional scaling sees it.
    struct ScaledReplicaSet: Equatable {
        var name: String
        var created: Date
        var replicas: Int
        /// `deployment.kubernetes.io/max-replicas`: the Deployment's size plus surge when it last scaled this one.
        var maxReplicas: Int?
    }

    /// The sizes of the active ReplicaSets once a Deployment of `desired` replicas (`surge` more allowed) that
    /// had `statusReplicas` is scaled in the middle of a rollout, in the order given: upstream's `scale` in
    /// `sync.go`, rounding and leftovers included (its conformance test checks 10→30 gives 20/13).
    static func proportionalSizes(_ sets: [ScaledReplicaSet], desired: Int, surge: Int, statusReplicas: Int) -> [Int] {
        let current = sets.reduce(0) { $0 + $1.replicas }
        let allowed = desired > 0 ? desired + surge : 0
        let toAdd = allowed - current
        guard toAdd != 0 else { return sets.map(\.replicas) }
        // Growing: the largest first, newer before older; shrinking: the largest first, older before newer.
        let order = sets.indices.sorted { a, b in
            let (x, y) = (sets[a], sets[b])
            if x.replicas != y.replicas { return x.replicas > y.replicas }
            let older = x.created == y.created ? x.name < y.name : x.created < y.created
            let newer = x.created == y.created ? y.name < x.name : y.created < x.created
            return toAdd > 0 ? newer : older
        }
        var sizes = sets.map(\.replicas)
        var added = 0
        for index in order {
            let rs = sets[index]
            guard rs.replicas > 0, toAdd != added else { continue }
            let fraction: Int
            if desired == 0 {
                fraction = -rs.replicas
            } else {
                let annotated = rs.maxReplicas ?? statusReplicas
                guard annotated > 0 else { continue }
                let scaled = Double(rs.replicas * (desired + surge)) / Double(annotated)
                fraction = Int(scaled.rounded(.toNearestOrAwayFromZero)) - rs.replicas
            }
            let proportion = toAdd > 0 ? min(fraction, toAdd - added) : max(fraction, toAdd - added)
            sizes[index] = rs.replicas + proportion
            added += proportion
        }
        // What rounding left over goes to the first (largest) one.
        if let first = order.first { sizes[first] = max(0, sizes[first] + toAdd - added) }
        return sizes
    }
}

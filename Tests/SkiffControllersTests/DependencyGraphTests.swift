import SkiffAPI
@testable import SkiffControllers
import Testing

/// The graph's logic with in-memory inputs: no server, no sockets.
@Suite struct DependencyGraphTests {
    /// From bytes the collector reads only `metadata`, and gets what reading the whole object gives.
    @Test func metadataFromBytesIsTheWholeObjectsMetadata() throws {
        let text = #"{"kind":"Pod","spec":{"containers":[{"name":"c","image":"i","args":["{\"metadata\":1}"]}]},"#
            + #""metadata":{"name":"p","namespace":"ns","uid":"u1","resourceVersion":"7","finalizers":["f"],"#
            + #""deletionTimestamp":"2026-01-01T00:00:00Z","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","#
            + #""name":"rs","uid":"o1","controller":true,"blockOwnerDeletion":true}]},"status":{"phase":"Running"}}"#
        let fromBytes = try ObjectMetadata(informerBytes: Array(text.utf8), transform: nil)
        #expect(fromBytes == ObjectMetadata(object: try JSONValue(parsing: Array(text.utf8))))
        #expect(fromBytes.ownerReferences.first?.uid == "o1" && fromBytes.isBeingDeleted && fromBytes.resourceVersion == "7")
        #expect(throws: (any Error).self) { try ObjectMetadata(informerBytes: Array("{\"metadata\":".utf8), transform: nil) }
    }

    static func object(_ name: String, uid: String, namespace: String = "ns", owners: [OwnerReference] = [],
                       finalizers: [String] = [], deleting: Bool = false) -> ObjectMetadata {
        ObjectMetadata(name: name, namespace: namespace, uid: uid, resourceVersion: "1", ownerReferences: owners,
                       finalizers: finalizers, deletionTimestamp: deleting ? "2024-01-01T00:00:00Z" : nil)
    }

    static func ref(_ name: String, uid: String, kind: String = "ConfigMap", block: Bool? = nil) -> OwnerReference {
        OwnerReference(apiVersion: "v1", kind: kind, name: name, uid: uid, controller: true, blockOwnerDeletion: block)
    }

    static func observed(_ object: ObjectMetadata, old: ObjectMetadata? = nil, kind: String = "ConfigMap") -> GraphChange {
        .observed(object, old: old, apiVersion: "v1", kind: kind)
    }

    static func identity(_ name: String, uid: String, namespace: String = "ns", kind: String = "ConfigMap") -> ObjectIdentity {
        ObjectIdentity(apiVersion: "v1", kind: kind, name: name, uid: uid, namespace: namespace)
    }

    @Test func deletedOwnerQueuesItsDependents() {
        var graph = DependencyGraph()
        #expect(graph.apply(Self.observed(Self.object("owner", uid: "o"))).isEmpty)
        #expect(graph.apply(Self.observed(Self.object("child", uid: "c", owners: [Self.ref("owner", uid: "o")]))).isEmpty)
        #expect(graph.node("o")?.dependents == ["c"])
        let actions = graph.apply(.deleted(Self.object("owner", uid: "o"), apiVersion: "v1", kind: "ConfigMap"))
        #expect(actions == [.ownerAbsent(Self.identity("owner", uid: "o")), .attemptToDelete("c")])
        #expect(graph.node("o") == nil)
        #expect(graph.node("c")?.owners.map(\.uid) == ["o"])
    }

    @Test func anOwnerNotSeenYetIsVirtualAndChecked() {
        var graph = DependencyGraph()
        let actions = graph.apply(Self.observed(Self.object("child", uid: "c", owners: [Self.ref("owner", uid: "o")])))
        #expect(actions == [.attemptToDelete("o")])
        #expect(graph.node("o")?.virtual == true)
        #expect(graph.node("o")?.identity == Self.identity("owner", uid: "o"))
        // Seen at last: real, and nothing to re-check since the coordinates agree.
        #expect(graph.apply(Self.observed(Self.object("owner", uid: "o"))).isEmpty)
        #expect(graph.node("o")?.virtual == false)
        #expect(graph.node("o")?.dependents == ["c"])
    }

    /// The restart case: the owner was deleted while nobody watched; the worker finds it missing.
    @Test func aMissingVirtualOwnerGetsItsDependentsCollected() {
        var graph = DependencyGraph()
        _ = graph.apply(Self.observed(Self.object("child", uid: "c", owners: [Self.ref("owner", uid: "o")])))
        _ = graph.apply(Self.observed(Self.object("child2", uid: "c2", owners: [Self.ref("owner", uid: "o")])))
        let actions = graph.apply(.virtualDelete(Self.identity("owner", uid: "o")))
        #expect(actions == [.ownerAbsent(Self.identity("owner", uid: "o")), .attemptToDelete("c"), .attemptToDelete("c2")])
        #expect(graph.node("o") == nil)
        #expect(graph.count == 2)
    }

    @Test func foregroundDeletionWaitsOnBlockingDependentsOnly() {
        var graph = DependencyGraph()
        let owner = Self.object("owner", uid: "o")
        _ = graph.apply(Self.observed(owner))
        _ = graph.apply(Self.observed(Self.object("blocking", uid: "b", owners: [Self.ref("owner", uid: "o", block: true)])))
        _ = graph.apply(Self.observed(Self.object("free", uid: "f", owners: [Self.ref("owner", uid: "o", block: false)])))
        let deleting = Self.object("owner", uid: "o", finalizers: ["foregroundDeletion"], deleting: true)
        let actions = graph.apply(Self.observed(deleting, old: owner))
        #expect(actions == [.attemptToDelete("b"), .attemptToDelete("f"), .attemptToDelete("o")])
        #expect(graph.node("o")?.deletingDependents == true)
        #expect(graph.node("o")?.beingDeleted == true)
        #expect(graph.blockingDependents(of: "o").map(\.identity.uid) == ["b"])
        // The same state again (a resync) starts nothing new.
        #expect(graph.apply(Self.observed(deleting, old: deleting)).isEmpty)
        // The blocking dependent goes: the owner is checked again (to drop its finalizer).
        let gone = graph.apply(.deleted(Self.object("blocking", uid: "b"), apiVersion: "v1", kind: "ConfigMap"))
        #expect(gone == [.attemptToDelete("o")])
        #expect(graph.blockingDependents(of: "o").isEmpty)
    }

    @Test func orphanDeletionAsksForOrphaningOnce() {
        var graph = DependencyGraph()
        let owner = Self.object("owner", uid: "o")
        _ = graph.apply(Self.observed(owner))
        let orphaning = Self.object("owner", uid: "o", finalizers: ["orphan"], deleting: true)
        #expect(graph.apply(Self.observed(orphaning, old: owner)) == [.attemptToOrphan("o")])
        #expect(graph.apply(Self.observed(orphaning, old: orphaning)).isEmpty)
        // Seen for the first time already orphaning (after a restart): asked for too.
        var fresh = DependencyGraph()
        #expect(fresh.apply(Self.observed(orphaning)) == [.attemptToOrphan("o")])
    }

    @Test func droppingABlockingReferenceRechecksTheOwner() {
        var graph = DependencyGraph()
        _ = graph.apply(Self.observed(Self.object("owner", uid: "o")))
        let child = Self.object("child", uid: "c", owners: [Self.ref("owner", uid: "o", block: true)])
        _ = graph.apply(Self.observed(child))
        let released = Self.object("child", uid: "c")
        #expect(graph.apply(Self.observed(released, old: child)) == [.attemptToDelete("o")])
        #expect(graph.node("o")?.dependents.isEmpty == true)
        #expect(graph.node("c")?.owners.isEmpty == true)
        // Unblocking (same uid, blockOwnerDeletion false) rechecks the owner too.
        let blocked = Self.object("child", uid: "c", owners: [Self.ref("owner", uid: "o", block: true)])
        _ = graph.apply(Self.observed(blocked, old: released))
        let unblocked = Self.object("child", uid: "c", owners: [Self.ref("owner", uid: "o", block: false)])
        #expect(graph.apply(Self.observed(unblocked, old: blocked)) == [.attemptToDelete("o")])
        #expect(graph.node("o")?.dependents == ["c"])
    }

    @Test func addingAnOwnerReferenceLinksTheNewOwner() {
        var graph = DependencyGraph()
        _ = graph.apply(Self.observed(Self.object("a", uid: "a")))
        _ = graph.apply(Self.observed(Self.object("b", uid: "b")))
        let child = Self.object("child", uid: "c", owners: [Self.ref("a", uid: "a")])
        _ = graph.apply(Self.observed(child))
        let adopted = Self.object("child", uid: "c", owners: [Self.ref("b", uid: "b")])
        #expect(graph.apply(Self.observed(adopted, old: child)).isEmpty)
        #expect(graph.node("a")?.dependents.isEmpty == true)
        #expect(graph.node("b")?.dependents == ["c"])
    }

    @Test func aReferenceThatDisagreesWithTheObservedOwnerIsChecked() {
        var graph = DependencyGraph()
        // The child says uid x is ConfigMap "owner"; the object with uid x is Secret "other".
        _ = graph.apply(Self.observed(Self.object("child", uid: "c", owners: [Self.ref("owner", uid: "x")])))
        let actions = graph.apply(Self.observed(Self.object("other", uid: "x"), kind: "Secret"))
        #expect(actions == [.attemptToDelete("c")])
        #expect(graph.node("x")?.identity == Self.identity("other", uid: "x", kind: "Secret"))
        // A dependent added later with the same wrong coordinates is checked at once.
        let late = graph.apply(Self.observed(Self.object("late", uid: "l", owners: [Self.ref("owner", uid: "x")])))
        #expect(late == [.attemptToDelete("l")])
        // So is one in another namespace than its namespaced owner.
        let elsewhere = graph.apply(Self.observed(Self.object("far", uid: "f", namespace: "other",
                                                              owners: [OwnerReference(apiVersion: "v1", kind: "Secret", name: "other", uid: "x")])))
        #expect(elsewhere == [.attemptToDelete("f")])
    }

    @Test func aVirtualDeleteOnlyCollectsDependentsThatAgreeWithIt() {
        var graph = DependencyGraph()
        _ = graph.apply(Self.observed(Self.object("c1", uid: "c1", owners: [Self.ref("a", uid: "x")])))
        _ = graph.apply(Self.observed(Self.object("c2", uid: "c2", owners: [Self.ref("b", uid: "x")])))
        #expect(graph.node("x")?.identity.name == "a")
        let actions = graph.apply(.virtualDelete(Self.identity("a", uid: "x")))
        #expect(actions == [.ownerAbsent(Self.identity("a", uid: "x")), .attemptToDelete("c1"),
                            .attemptToDeleteRateLimited("x")])
        // Kept, now under the other name its dependents use.
        #expect(graph.node("x")?.identity.name == "b")
        #expect(graph.node("x")?.virtual == true)
    }

    @Test func aVirtualDeleteWithOtherCoordinatesKeepsAnObservedObject() {
        var graph = DependencyGraph()
        _ = graph.apply(Self.observed(Self.object("owner", uid: "o")))
        _ = graph.apply(Self.observed(Self.object("child", uid: "c", owners: [Self.ref("owner", uid: "o")])))
        let actions = graph.apply(.virtualDelete(Self.identity("owner", uid: "o", kind: "Secret")))
        #expect(actions.isEmpty)
        #expect(graph.node("o") != nil)
    }

    @Test func deletingADependentOfAnOwnerDeletingInForegroundRechecksIt() {
        var graph = DependencyGraph()
        let owner = Self.object("owner", uid: "o", finalizers: ["foregroundDeletion"], deleting: true)
        _ = graph.apply(Self.observed(Self.object("child", uid: "c", owners: [Self.ref("owner", uid: "o", block: true)])))
        let seen = graph.apply(Self.observed(owner))
        #expect(seen == [.attemptToDelete("c"), .attemptToDelete("o")])
        let actions = graph.apply(.deleted(Self.object("child", uid: "c"), apiVersion: "v1", kind: "ConfigMap"))
        #expect(actions == [.attemptToDelete("o")])
    }

    @Test func referenceDiffsByUID() {
        let a = Self.ref("a", uid: "1")
        let b = Self.ref("b", uid: "2")
        let c = Self.ref("c", uid: "3")
        var b2 = b
        b2.blockOwnerDeletion = true
        let (added, removed, changed) = DependencyGraph.referenceDiffs(old: [a, b], new: [b2, c])
        #expect(added == [c])
        #expect(removed == [a])
        #expect(changed.map(\.0) == [b])
        #expect(changed.map(\.1) == [b2])
    }

    @Test func objectsWithoutUIDAreIgnored() {
        var graph = DependencyGraph()
        #expect(graph.apply(Self.observed(Self.object("x", uid: ""))).isEmpty)
        #expect(graph.count == 0)
    }

    @Test func absentOwnerCacheForgetsTheOldest() {
        var cache = AbsentOwnerCache(capacity: 2)
        cache.add(Self.identity("a", uid: "1"))
        cache.add(Self.identity("b", uid: "2"))
        cache.add(Self.identity("a", uid: "1"))
        cache.add(Self.identity("c", uid: "3"))
        #expect(!cache.contains(Self.identity("a", uid: "1")))
        #expect(cache.contains(Self.identity("b", uid: "2")))
        #expect(cache.contains(Self.identity("c", uid: "3")))
        #expect(cache.count == 2)
    }

    @Test func metadataIsReadFromAWholeObject() throws {
        let json = try JSONValue(parsing: Array("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","uid":"u","resourceVersion":"7",
             "finalizers":["orphan"],"deletionTimestamp":"2024-01-01T00:00:00Z",
             "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"o","controller":true,
                                 "blockOwnerDeletion":true},{"apiVersion":"v1","kind":"X","name":"no-uid"}]},
             "data":{"big":"ignored"}}
            """.utf8))
        let metadata = ObjectMetadata(informerJSON: json)
        #expect(metadata.objectKey == "ns/a")
        #expect(metadata.resourceVersion == "7")
        #expect(metadata.isBeingDeleted)
        #expect(metadata.hasFinalizer("orphan"))
        #expect(metadata.ownerReferences == [OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "o",
                                                            controller: true, blockOwnerDeletion: true)])
        #expect(metadata.ownerReferences.first?.json["blockOwnerDeletion"] == true)
    }
}

/// Puts Service ports into the kernel and remembers what it put there, so the next call writes only the
/// difference (or the whole table when asked, or when it does not know what is there).
public struct ProxyProgrammer: Sendable {
    public let network: ProxyNetwork
    let nftables: NFTables
    var applied: NFTRuleset?

    public init(network: ProxyNetwork, nftables: NFTables) {
        self.network = network
        self.nftables = nftables
    }

    /// What one call wrote.
    public struct Outcome: Sendable {
        /// The whole table, rather than a difference.
        public var full: Bool
        /// The size of the `nft` script (0: nothing changed).
        public var scriptBytes: Int
        /// Time spent building the ruleset and the script, before `nft` ran.
        public var computed: Duration = .zero
    }

    /// Programs `services`; a failed difference is retried once as the whole table. After a throw, the next
    /// call writes the whole table.
    @discardableResult
    public mutating func apply(_ services: [ServicePortInfo], full: Bool = false) async throws -> Outcome {
        let started = ContinuousClock.now
        let ruleset = NFTRuleset(services: services, network: network, reusing: applied)
        if !full, let previous = applied {
            let script = NFTScript.diff(from: previous, to: ruleset, network: network)
            let computed = ContinuousClock.now - started
            do {
                if !script.isEmpty { try await nftables.commit(script) }
                applied = ruleset
                return Outcome(full: false, scriptBytes: script.utf8.count, computed: computed)
            } catch {
                applied = nil
            }
        }
        let script = NFTScript.full(ruleset, network: network)
        let computed = ContinuousClock.now - started
        applied = nil
        try await nftables.commit(script)
        applied = ruleset
        return Outcome(full: true, scriptBytes: script.utf8.count, computed: computed)
    }

    /// Forgets what was applied: the next call writes the whole table.
    public mutating func forget() { applied = nil }
}

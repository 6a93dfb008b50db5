import Metrics
import NIOCore

/// Turns query bytes into response bytes for both transports: parse, resolve or forward, fit the answer to the
/// client's size limit. Runs on the event loop that received the query.
final class DNSQueryProcessor: Sendable {
    enum Transport { case udp, tcp }

    enum Outcome {
        /// Nothing to send: not even a header, or a response sent to us (answering it could loop).
        case drop
        case reply([UInt8])
        /// The upstream's answer, or SERVFAIL; never fails.
        case pending(EventLoopFuture<[UInt8]>)
    }

    let resolver: ClusterDNSResolver
    let forwarder: DNSForwarder?
    private let metrics: DNSMetrics

    init(resolver: ClusterDNSResolver, forwarder: DNSForwarder?) {
        self.resolver = resolver
        self.forwarder = forwarder
        metrics = DNSMetrics()
    }

    func process(_ bytes: [UInt8], transport: Transport, on eventLoop: any EventLoop) -> Outcome {
        metrics.request(transport)
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else {
            metrics.dropped.increment()
            return .drop
        }
        let query: DNSMessage
        do {
            query = try DNSMessage(parsing: bytes)
        } catch {
            return .reply(metrics.counted(Self.formatError(bytes)))
        }
        // Over UDP the client's EDNS size, capped by ours, or 512 without EDNS (RFC 1035 §4.2.1, RFC 6891 §6.2.5).
        let limit = switch transport {
        case .tcp: 65535
        case .udp:
            query.edns.map { max(512, min(Int($0.udpPayloadSize), Int(ClusterDNSResolver.udpPayloadSize))) } ?? 512
        }
        switch resolver.resolve(query) {
        case .answer(let response):
            return .reply(metrics.counted(response.encoded(maxSize: limit)))
        case .chase(let response, let question):
            guard let forwarder else { return .reply(metrics.counted(response.encoded(maxSize: limit))) }
            return .pending(chase(response, question, forwarder: forwarder, limit: limit, on: eventLoop))
        case .forward:
            guard let forwarder else {
                let refused = ClusterDNSResolver.reply(to: query, code: .refused)
                return .reply(metrics.counted(refused.encoded(maxSize: limit)))
            }
            metrics.forwarded.increment()
            let metrics = self.metrics
            let future = forwarder.forward(bytes, on: eventLoop)
                .map { response in
                    guard response.count > limit else { return response }
                    // Fetched over TCP but asked over UDP: cut to whole records, TC set.
                    guard let parsed = try? DNSMessage(parsing: response) else {
                        return ClusterDNSResolver.reply(to: query, code: .serverFailure).encoded(maxSize: limit)
                    }
                    return parsed.encoded(maxSize: limit)
                }
                .recover { _ in
                    metrics.forwardFailures.increment()
                    return ClusterDNSResolver.reply(to: query, code: .serverFailure).encoded(maxSize: limit)
                }
                .map { metrics.counted($0) }
            return .pending(future)
        }
    }

    /// `response` (a CNAME out of the cluster) with the upstream's answers for its target appended; the CNAME
    /// alone when the upstream fails, so the client still learns the alias.
    private func chase(_ response: DNSMessage, _ question: DNSQuestion, forwarder: DNSForwarder, limit: Int,
                       on eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]> {
        var header = DNSHeader()
        header.recursionDesired = true
        let query = DNSMessage(header: header, questions: [question], edns: DNSEDNS())
        metrics.forwarded.increment()
        let metrics = self.metrics
        return forwarder.forward(query.encoded(), on: eventLoop)
            .map { bytes in
                var chased = response
                if let upstream = try? DNSMessage(parsing: bytes) {
                    chased.answers += upstream.answers
                    chased.responseCode = upstream.responseCode
                }
                return chased
            }
            .recover { _ in response }
            .map { metrics.counted($0.encoded(maxSize: limit)) }
    }

    /// FORMERR for a query whose header is readable but whose body is not: its id, opcode and RD, no sections.
    static func formatError(_ query: [UInt8]) -> [UInt8] {
        [query[0], query[1], 0x80 | (query[2] & 0x79), 0x80 | DNSResponseCode.formatError.rawValue.low4,
         0, 0, 0, 0, 0, 0, 0, 0]
    }
}

extension UInt16 {
    fileprivate var low4: UInt8 { UInt8(self & 0xF) }
}

/// Counters named after CoreDNS's (`coredns_dns_requests_total`, `coredns_dns_responses_total`), `skiff_` in front.
/// Made once: a metrics backend lookup per query would cost more than the answer.
struct DNSMetrics: Sendable {
    let udpRequests = Counter(label: "skiff_dns_requests_total", dimensions: [("proto", "udp")])
    let tcpRequests = Counter(label: "skiff_dns_requests_total", dimensions: [("proto", "tcp")])
    let dropped = Counter(label: "skiff_dns_dropped_total")
    let forwarded = Counter(label: "skiff_dns_forward_requests_total")
    let forwardFailures = Counter(label: "skiff_dns_forward_failures_total")
    /// Responses by rcode: NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, then any other.
    let responses: [Counter] = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other"].map {
        Counter(label: "skiff_dns_responses_total", dimensions: [("rcode", $0)])
    }

    func request(_ transport: DNSQueryProcessor.Transport) {
        switch transport {
        case .udp: udpRequests.increment()
        case .tcp: tcpRequests.increment()
        }
    }

    /// Counts `response` by its rcode and returns it.
    func counted(_ response: [UInt8]) -> [UInt8] {
        if response.count >= 4 { responses[min(Int(response[3] & 0xF), responses.count - 1)].increment() }
        return response
    }
}

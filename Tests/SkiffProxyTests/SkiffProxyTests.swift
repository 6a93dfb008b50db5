import SkiffProxy
import Testing

@Suite struct SkiffProxyTests {
    @Test func theClusterDomainIsUpstreams() {
        #expect(SkiffProxy.defaultClusterDomain == "cluster.local")
    }
}

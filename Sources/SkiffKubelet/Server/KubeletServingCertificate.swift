import Foundation
import NIOSSL
import SkiffTLS

/// The kubelet's serving certificate: self-signed, made at start (upstream's kubelet does the same when given
/// no `--tls-cert-file`), for the node's name and addresses. Clients (the API server) do not verify it, as
/// upstream's API server does not verify kubelets without `--kubelet-certificate-authority`.
enum KubeletServingCertificate {
    /// A TLS context serving a fresh self-signed certificate and asking for a client certificate signed by
    /// `clientCAPEM` (checked by the handler, so a request without one gets 401 rather than a failed handshake).
    static func makeContext(nodeName: String, addresses: [String], clientCAPEM: String) throws -> NIOSSLContext {
        let (certificate, key) = try ServingTLS.selfSigned(commonName: "\(nodeName)@\(Int(Date().timeIntervalSince1970))",
                                                           dnsNames: [nodeName, "localhost"],
                                                           ipAddresses: Array(Set(addresses + ["127.0.0.1"])))
        return try ServingTLS.context(certificatePEM: certificate, keyPEM: key, clientCAPEM: clientCAPEM)
    }
}

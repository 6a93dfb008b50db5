import Crypto
import Foundation
public import NIOSSL
import NIOCore
import SwiftASN1
import X509

/// What the API server and the kubelet serve HTTPS with: the same TLS settings (TLS 1.2 or later, HTTP/1.1,
/// a client certificate asked for but not required, checked against the cluster CA by the handler so a request
/// without one gets 401 rather than a failed handshake), and certificates made the same way.
public enum ServingTLS {
    /// A server context for `certificatePEM`/`keyPEM` that asks for a client certificate signed by `clientCAPEM`.
    public static func context(certificatePEM: String, keyPEM: String, clientCAPEM: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.certificateVerification = .optionalVerification
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(clientCAPEM.utf8)))
        configuration.applicationProtocols = ["http/1.1"]
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }

    /// A self-signed serving certificate for `commonName`, valid a year, for `dnsNames` and `ipAddresses`
    /// (upstream's kubelet makes one when given no `--tls-cert-file`); returns (certificate, key) PEM.
    public static func selfSigned(commonName: String, dnsNames: [String], ipAddresses: [String]) throws -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let certificate = try leaf(key: key, subject: name, issuer: name, issuerKey: key, dnsNames: dnsNames,
                                   ipAddresses: ipAddresses, usage: .serverAuth)
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// A certificate that is no CA, valid a year from an hour ago, for `usage` and the names given.
    static func leaf(key: P256.Signing.PrivateKey, subject: DistinguishedName, issuer: DistinguishedName,
                     issuerKey: P256.Signing.PrivateKey, dnsNames: [String], ipAddresses: [String],
                     usage: ExtendedKeyUsage.Usage) throws -> Certificate {
        let names = subjectAlternativeNames(dnsNames: dnsNames, ipAddresses: ipAddresses)
        let now = Date()
        return try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: issuer, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([usage])
                if !names.isEmpty { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: .init(issuerKey))
    }

    static func subjectAlternativeNames(dnsNames: [String], ipAddresses: [String]) -> [GeneralName] {
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for ip in ipAddresses {
            if let bytes = ipBytes(ip) { names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...]))) }
        }
        return names
    }

    /// The network-order bytes of an IPv4 or IPv6 address in text form.
    static func ipBytes(_ text: String) -> [UInt8]? {
        guard let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
        switch address {
        case .v4(let a): return withUnsafeBytes(of: a.address.sin_addr) { Array($0) }
        case .v6(let a): return withUnsafeBytes(of: a.address.sin6_addr) { Array($0) }
        default: return nil
        }
    }
}

import Crypto
public import Foundation
public import NIOSSL
import SwiftASN1
import X509

/// The cluster's certificate authority and the API server's serving certificate, kept as PEM files in
/// `<data dir>/pki`: made on first start, reused afterwards. The serving certificate is issued again
/// when it would not cover the names the server is reached by, or is near expiry.
public struct PKI: Sendable {
    public let directory: URL
    /// The CA certificate (PEM), as kubeconfigs embed it.
    public let caCertificatePEM: String
    let caCertificate: Certificate
    let caKey: P256.Signing.PrivateKey
    /// Serving certificate and key (PEM).
    public let servingCertificatePEM: String
    public let servingKeyPEM: String

    /// Loads the PKI under `directory`, creating what is missing; the serving certificate covers
    /// `dnsNames` and `ipAddresses`.
    public static func loadOrCreate(directory: URL, dnsNames: [String], ipAddresses: [String]) throws -> PKI {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let caCertURL = directory.appendingPathComponent("ca.crt")
        let caKeyURL = directory.appendingPathComponent("ca.key")
        let caCert: Certificate
        let caKey: P256.Signing.PrivateKey
        if let certPEM = try? String(contentsOf: caCertURL, encoding: .utf8),
           let keyPEM = try? String(contentsOf: caKeyURL, encoding: .utf8)
        {
            caCert = try Certificate(pemEncoded: certPEM)
            caKey = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        } else {
            caKey = P256.Signing.PrivateKey()
            let name = try DistinguishedName { CommonName("skiff-ca@\(Int(Date().timeIntervalSince1970))") }
            let now = Date()
            caCert = try Certificate(
                version: .v3,
                serialNumber: .init(),
                publicKey: .init(caKey.publicKey),
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: .init(caKey.publicKey))
                },
                issuerPrivateKey: .init(caKey)
            )
            try write(caKey.pemRepresentation, to: caKeyURL, mode: 0o600)
            try write(try caCert.serializeAsPEM().pemString, to: caCertURL, mode: 0o644)
        }
        let caPEM = try caCert.serializeAsPEM().pemString

        let servingCertURL = directory.appendingPathComponent("serving.crt")
        let servingKeyURL = directory.appendingPathComponent("serving.key")
        if let certPEM = try? String(contentsOf: servingCertURL, encoding: .utf8),
           let keyPEM = try? String(contentsOf: servingKeyURL, encoding: .utf8),
           let cert = try? Certificate(pemEncoded: certPEM),
           cert.issuer == caCert.subject,
           cert.notValidAfter > Date().addingTimeInterval(30 * 86400),
           covers(cert, dnsNames: dnsNames, ipAddresses: ipAddresses)
        {
            return PKI(directory: directory, caCertificatePEM: caPEM, caCertificate: caCert, caKey: caKey,
                       servingCertificatePEM: certPEM, servingKeyPEM: keyPEM)
        }
        let pki = PKI(directory: directory, caCertificatePEM: caPEM, caCertificate: caCert, caKey: caKey,
                      servingCertificatePEM: "", servingKeyPEM: "")
        let (certPEM, keyPEM) = try pki.issue(commonName: "kube-apiserver", organizations: [], dnsNames: dnsNames,
                                              ipAddresses: ipAddresses, usage: .serverAuth)
        try write(keyPEM, to: servingKeyURL, mode: 0o600)
        try write(certPEM, to: servingCertURL, mode: 0o644)
        return PKI(directory: directory, caCertificatePEM: caPEM, caCertificate: caCert, caKey: caKey,
                   servingCertificatePEM: certPEM, servingKeyPEM: keyPEM)
    }

    /// Issues a client certificate (CN = user, O = groups) signed by the cluster CA; returns (cert, key) PEM.
    public func issueClientCertificate(user: String, groups: [String]) throws -> (certificate: String, key: String) {
        try issue(commonName: user, organizations: groups, dnsNames: [], ipAddresses: [], usage: .clientAuth)
    }

    /// A TLS context serving our certificate that asks for (but does not require) a client certificate
    /// signed by our CA.
    public func makeServerTLSContext() throws -> NIOSSLContext {
        try ServingTLS.context(certificatePEM: servingCertificatePEM, keyPEM: servingKeyPEM, clientCAPEM: caCertificatePEM)
    }

    private func issue(commonName: String, organizations: [String], dnsNames: [String], ipAddresses: [String],
                       usage: ExtendedKeyUsage.Usage) throws -> (String, String) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            for organization in organizations { OrganizationName(organization) }
            CommonName(commonName)
        }
        let certificate = try ServingTLS.leaf(key: key, subject: subject, issuer: caCertificate.subject, issuerKey: caKey,
                                              dnsNames: dnsNames, ipAddresses: ipAddresses, usage: usage)
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    static func covers(_ certificate: Certificate, dnsNames: [String], ipAddresses: [String]) -> Bool {
        guard let san = try? certificate.extensions.subjectAlternativeNames else { return false }
        var haveDNS = Set<String>()
        var haveIPs = Set<[UInt8]>()
        for name in san {
            switch name {
            case .dnsName(let dns): haveDNS.insert(dns)
            case .ipAddress(let octets): haveIPs.insert(Array(octets.bytes))
            default: break
            }
        }
        return dnsNames.allSatisfy(haveDNS.contains) && ipAddresses.compactMap(ServingTLS.ipBytes).allSatisfy(haveIPs.contains)
    }

    static func write(_ text: String, to url: URL, mode: Int) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }
}

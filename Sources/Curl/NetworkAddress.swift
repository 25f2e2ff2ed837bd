import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An address libcurl connects to: the unit of the redirect guard.
///
/// A feed on the internet must not be able to point drillwatch at the machine it runs on or at
/// the network behind it (a router's admin page, a cloud metadata service at 169.254.169.254,
/// a database on localhost): that is server-side request forgery. The guard therefore looks at
/// the address actually connected to, after name resolution, not at the host name in the URL.
public struct NetworkAddress: Sendable, Hashable, CustomStringConvertible {
    /// Numeric form, as libcurl's `CURLINFO_PRIMARY_IP` gives it (`127.0.0.1`, `::1`).
    public var ip: String
    public var port: Int

    public init(ip: String, port: Int) {
        self.ip = ip
        self.port = port
    }

    public var description: String { ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    /// True for addresses that belong to this machine or its local network: loopback,
    /// unspecified, RFC 1918 private, carrier-grade NAT, link-local (which holds cloud metadata
    /// services), IPv6 unique-local, multicast and broadcast, and IPv4 mapped into IPv6 by the
    /// same rules. An address that cannot be read counts as local: the guard fails closed.
    public var isLocal: Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, ip, &v4) == 1 {
            return Self.isLocalIPv4(UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, ip, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            return Self.isLocalIPv6(bytes)
        }
        return true
    }

    static func isLocalIPv4(_ address: UInt32) -> Bool {
        func within(_ network: UInt32, _ prefix: UInt32) -> Bool {
            address >> (32 - prefix) == network >> (32 - prefix)
        }
        return within(0x0000_0000, 8)      // 0.0.0.0/8 "this network"
            || within(0x0A00_0000, 8)      // 10.0.0.0/8
            || within(0x6440_0000, 10)     // 100.64.0.0/10 carrier-grade NAT
            || within(0x7F00_0000, 8)      // 127.0.0.0/8 loopback
            || within(0xA9FE_0000, 16)     // 169.254.0.0/16 link-local, cloud metadata
            || within(0xAC10_0000, 12)     // 172.16.0.0/12
            || within(0xC000_0000, 24)     // 192.0.0.0/24 IETF protocol assignments
            || within(0xC0A8_0000, 16)     // 192.168.0.0/16
            || within(0xC612_0000, 15)     // 198.18.0.0/15 benchmarking
            || within(0xE000_0000, 3)      // 224.0.0.0/3 multicast, reserved, broadcast
    }

    static func isLocalIPv6(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 16 else { return true }
        let head = bytes[0..<10].allSatisfy { $0 == 0 }
        if head && bytes[10] == 0xFF && bytes[11] == 0xFF {
            // ::ffff:a.b.c.d — an IPv4 address in disguise.
            let v4 = bytes[12..<16].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return isLocalIPv4(v4)
        }
        if head && bytes[10] == 0 && bytes[11] == 0 && bytes[12..<15].allSatisfy({ $0 == 0 }) && bytes[15] <= 1 {
            return true                    // :: and ::1
        }
        if bytes[0] & 0xFE == 0xFC { return true }                       // fc00::/7 unique-local
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return true }   // fe80::/10 link-local
        if bytes[0] == 0xFF { return true }                              // ff00::/8 multicast
        return false
    }

    /// Reads the address libcurl hands to its open-socket callback.
    init?(socketAddress: UnsafeRawPointer, family: Int32) {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch family {
        case AF_INET:
            var address = socketAddress.loadUnaligned(as: sockaddr_in.self)
            guard inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count)) != nil else { return nil }
            self.init(ip: Self.string(text), port: Int(UInt16(bigEndian: address.sin_port)))
        case AF_INET6:
            var address = socketAddress.loadUnaligned(as: sockaddr_in6.self)
            guard inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count)) != nil else { return nil }
            self.init(ip: Self.string(text), port: Int(UInt16(bigEndian: address.sin6_port)))
        default:
            return nil
        }
    }

    private static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

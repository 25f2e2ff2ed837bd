import Foundation
import Locking
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A small SMTP receiver for tests: 127.0.0.1 only, a port the kernel picks, one thread per
/// connection, stopped by itself after `lifetime`. It speaks what libcurl's SMTP client needs
/// (EHLO with AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT) and keeps every message it accepts.
public final class SMTPTestServer: Sendable {
    public struct Message: Sendable {
        public var sender: String
        public var recipients: [String]
        /// The message as received, dot-stuffing undone, CRLF line ends.
        public var data: String
        public var authenticated: Bool
    }

    public let port: UInt16
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    private let received = Locked<[Message]>([])
    /// While above zero, DATA is answered 451 (try again later) and this counts down.
    private let refusals = Locked(0)

    public var url: String { "smtp://127.0.0.1:\(port)" }
    public var messages: [Message] { received.withLock { $0 } }

    public init(refusingFirst refused: Int = 0, lifetime: Duration = .seconds(1800)) throws {
        (listener, port) = try LoopbackListener.open(backlog: 16)
        refusals.withLock { $0 = refused }
        Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                let client = accept(listener, nil, nil)
                if client < 0 { continue }
                Thread { [self] in session(client) }.start()
            }
        }.start()
        Thread { [self] in
            Thread.sleep(forTimeInterval: Double(lifetime.components.seconds))
            stop()
        }.start()
    }

    deinit { stop() }

    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func session(_ client: Int32) {
        defer { close(client) }
        var reader = LineReader(fd: client)
        func say(_ line: String) { _ = line.utf8CString.dropLast().withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }; _ = send(client, "\r\n", 2, Int32(MSG_NOSIGNAL)) }
        say("220 127.0.0.1 drillwatch test SMTP")
        var sender = "", recipients: [String] = [], authenticated = false
        while let line = reader.next() {
            let upper = line.uppercased()
            if upper.hasPrefix("EHLO") || upper.hasPrefix("HELO") {
                say("250-127.0.0.1"); say("250-AUTH PLAIN LOGIN"); say("250 8BITMIME")
            } else if upper.hasPrefix("AUTH PLAIN") {
                if upper == "AUTH PLAIN" { say("334 "); _ = reader.next() }
                authenticated = true
                say("235 2.7.0 accepted")
            } else if upper.hasPrefix("AUTH LOGIN") {
                say("334 VXNlcm5hbWU6"); _ = reader.next(); say("334 UGFzc3dvcmQ6"); _ = reader.next()
                authenticated = true
                say("235 2.7.0 accepted")
            } else if upper.hasPrefix("MAIL FROM:") {
                sender = String(line.dropFirst(10)).trimmingCharacters(in: CharacterSet(charactersIn: " <>"))
                recipients = []
                say("250 2.1.0 ok")
            } else if upper.hasPrefix("RCPT TO:") {
                recipients.append(String(line.dropFirst(8)).trimmingCharacters(in: CharacterSet(charactersIn: " <>")))
                say("250 2.1.5 ok")
            } else if upper == "DATA" {
                say("354 end with .")
                var lines: [String] = []
                while let data = reader.next(), data != "." { lines.append(data.hasPrefix("..") ? String(data.dropFirst()) : data) }
                let refuse = refusals.withLock { count -> Bool in
                    guard count > 0 else { return false }
                    count -= 1
                    return true
                }
                if refuse {
                    say("451 4.3.0 try again later")
                } else {
                    received.withLock { $0.append(Message(sender: sender, recipients: recipients, data: lines.joined(separator: "\r\n"), authenticated: authenticated)) }
                    say("250 2.0.0 queued")
                }
            } else if upper == "QUIT" {
                say("221 2.0.0 bye")
                return
            } else if upper == "RSET" || upper == "NOOP" {
                say("250 ok")
            } else {
                say("502 5.5.2 not implemented")
            }
        }
    }
}

/// CRLF- (or LF-) terminated lines from a socket.
private struct LineReader {
    let fd: Int32
    var buffer: [UInt8] = []

    mutating func next() -> String? {
        while true {
            if let end = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<end])
                buffer.removeFirst(end + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            buffer += chunk[0..<count]
        }
    }
}

import Foundation
import Model
import Pipeline
@testable import Reports
import Settings
import Store
import TestSupport
import Testing

/// Alerts by e-mail through libcurl's SMTP, received by an SMTP server on loopback.
@Suite struct Email {
    static func hooks(_ server: SMTPTestServer) -> HookSettings {
        var hooks = HookSettings()
        var email = EmailSettings(url: server.url, from: "drillwatch@desk.example", to: ["analyst@desk.example", "duty@desk.example"])
        email.username = "drillwatch"
        email.password = "s3cret"
        email.startTLS = false  // loopback has no certificate; a real server is smtps:// or STARTTLS
        hooks.email = email
        return hooks
    }

    static func decodedParts(_ data: String) -> [String: String] {
        var parts: [String: String] = [:]
        for chunk in data.components(separatedBy: "--drillwatch-").dropFirst() {
            guard let type = ["text/plain", "text/html"].first(where: chunk.contains),
                  let bodyStart = chunk.range(of: "\r\n\r\n") else { continue }
            let base64 = chunk[bodyStart.upperBound...].components(separatedBy: "\r\n").joined()
            parts[type] = Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
        }
        return parts
    }

    @Test func anAlertArrivesWithItsHeadersAndBothParts() async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        let (store, alert) = try await ChatPresets.store(channel: .email)
        let report = await DeliveryWorker(settings: Self.hooks(server), store: store).deliverDue()
        #expect(report.delivered == 1, "\(report.failures)")
        let message = try #require(server.messages.first)
        #expect(server.messages.count == 1)
        #expect(message.sender == "drillwatch@desk.example")
        #expect(message.recipients == ["analyst@desk.example", "duty@desk.example"])
        #expect(message.authenticated)
        #expect(message.data.contains("From: drillwatch@desk.example"))
        #expect(message.data.contains("To: analyst@desk.example, duty@desk.example"))
        #expect(message.data.contains("Message-ID: <\(alert.id).alert@drillwatch>"))
        #expect(message.data.contains("Subject: Drill alert: Chinese & Russian warships <begin> Joint Sea-2031"))
        #expect(message.data.contains("multipart/alternative"))
        let parts = Self.decodedParts(message.data)
        #expect(parts["text/plain"]?.contains("Joint Sea-2031 · Sea of Japan · wire · score 0.97") == true, "\(parts)")
        #expect(parts["text/html"]?.contains("&lt;begin&gt;") == true)
        // Why it alerted, as the digest says it: a message is read on its own.
        let why = "chinese-and-russian-forces: Chinese, Russian, <warships>; named-bilateral-exercise: Joint Sea; like “China to hold Joint Sea 2025”, similarity 0.31"
        #expect(parts["text/plain"]?.contains("Why: " + why) == true, "\(parts)")
        #expect(parts["text/html"]?.contains("<i>Why:</i> chinese-and-russian-forces: Chinese, Russian, &lt;warships&gt;;") == true, "\(parts)")
    }

    @Test func aRefusedMessageIsRetriedAndArrivesOnce() async throws {
        let server = try SMTPTestServer(refusingFirst: 1)
        defer { server.stop() }
        let (store, _) = try await ChatPresets.store(channel: .email)
        let clock = Deliveries.Clock()
        let worker = DeliveryWorker(settings: Self.hooks(server), store: store, now: clock.now)
        let first = await worker.deliverDue()
        #expect(first.delivered == 0 && first.failures.first?.willRetry == true, "\(first.failures)")
        #expect(server.messages.isEmpty)
        clock.advance(31)
        let second = await worker.deliverDue()
        #expect(second.delivered == 1)
        clock.advance(3600)
        let third = await worker.deliverDue()
        #expect(third.delivered == 0 && third.failures.isEmpty)
        #expect(server.messages.count == 1)
    }

    @Test func aNonASCIISubjectIsEncodedWords() {
        let subject = MailMessage.encodedWord("Учения «Морское взаимодействие-2031» начались у Владивостока")
        #expect(subject.hasPrefix("=?UTF-8?B?"))
        #expect(subject.components(separatedBy: "\r\n ").allSatisfy { $0.count <= 75 })
    }

    /// A title may be 1,000 characters; on one line the Subject passed the 998 octets a
    /// server may refuse. Lines stay within 78 characters, and unfolding gives the text back.
    @Test func aLongSubjectIsFolded() {
        let words = (1...150).map { "word\($0)" }.joined(separator: " ")
        let folded = MailMessage.subject("Drill alert: " + words)
        let lines = folded.components(separatedBy: "\r\n")
        #expect(lines.count > 10 && ("Subject: " + lines[0]).count <= 78 && lines.allSatisfy { $0.count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(folded.replacingOccurrences(of: "\r\n", with: "") == "Drill alert: " + words)
        // One word too long to fold: encoded words, which may split anywhere.
        let unbroken = MailMessage.subject("Drill alert: " + String(repeating: "x", count: 1000))
        #expect(unbroken.hasPrefix("=?UTF-8?B?") && unbroken.components(separatedBy: "\r\n ").allSatisfy { $0.count <= 75 })
        #expect(MailMessage.subject("Drill alert: Joint Sea-2031") == "Drill alert: Joint Sea-2031")
        let desks = (1...40).map { "desk\($0)@newsroom.example" }
        #expect(MailMessage.addressList(desks).components(separatedBy: "\r\n").count == 40)
        #expect(MailMessage.addressList(["a@b.example", "c@d.example"]) == "a@b.example, c@d.example")
    }

    @Test func thePasswordIsNeverInTheConfiguration() throws {
        let source = "[email]\nurl = \"smtps://mail.example:465\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\npassword = \"hunter2\"\n"
        #expect(throws: ConfigError.self) { try Settings.parse(source, file: URL(fileURLWithPath: "/tmp/x.toml")) }
        let plain = try Settings.parse("[email]\nurl = \"smtps://mail.example:465\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n",
                                       file: URL(fileURLWithPath: "/tmp/x.toml"))
        #expect(plain.hooks.channels == [.email])
    }
}

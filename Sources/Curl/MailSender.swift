import CCurl
import Foundation

/// An SMTP server to send mail through: `smtp://host:587` (with STARTTLS unless `startTLS` is
/// off) or `smtps://host:465`; credentials when it asks for them.
public struct MailServer: Sendable, Equatable {
    public var url: String
    public var username: String?
    public var password: String?
    /// For `smtp://`: require STARTTLS before anything is sent (credentials, the message).
    public var startTLS: Bool
    public var timeout: Duration

    public init(url: String, username: String? = nil, password: String? = nil, startTLS: Bool = true, timeout: Duration = .seconds(30)) {
        self.url = url
        self.username = username
        self.password = password
        self.startTLS = startTLS
        self.timeout = timeout
    }
}

/// Sends one message by SMTP with libcurl. The transfer is libcurl's blocking easy interface
/// on a thread of its own (one message is short, and its deadline is libcurl's timeout), so no
/// task of the cooperative pool waits on the network.
public enum MailSender {
    /// - Parameter message: the whole RFC 5322 message, CRLF line ends.
    public static func send(_ message: [UInt8], from sender: String, to recipients: [String], via server: MailServer) async throws(FetchError) {
        let result: Result<Void, FetchError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                let transfer = MailTransfer(server: server, sender: sender, recipients: recipients, message: message)
                continuation.resume(returning: transfer?.perform()
                    ?? .failure(.transfer(url: server.url, code: Int(CURLE_OUT_OF_MEMORY.rawValue), detail: "no libcurl handle")))
            }
            thread.start()
        }
        try result.get()
    }
}

/// One SMTP transfer: the easy handle, the recipients' list and the message being read out;
/// each freed once, in `deinit` (one owner per C handle).
private final class MailTransfer {
    private let handle: UnsafeMutableRawPointer
    private var recipients: UnsafeMutablePointer<curl_slist>?
    private let message: [UInt8]
    private var offset = 0
    private let server: MailServer
    private let sender: String
    private let recipientAddresses: [String]

    /// Nil only when libcurl cannot allocate a handle.
    init?(server: MailServer, sender: String, recipients: [String], message: [UInt8]) {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        self.server = server
        self.sender = sender
        recipientAddresses = recipients
        self.message = message
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(recipients)
    }

    func perform() -> Result<Void, FetchError> {
        var failures: [CURLcode] = []
        func check(_ code: CURLcode) { if code != CURLE_OK { failures.append(code) } }
        check(dw_curl_setopt_string(handle, CURLOPT_URL, server.url))
        check(dw_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps"))
        check(dw_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        check(dw_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(server.timeout.components.seconds * 1000)))
        check(dw_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(server.startTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_NONE.rawValue)))
        check(dw_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        check(dw_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        if let username = server.username { check(dw_curl_setopt_string(handle, CURLOPT_USERNAME, username)) }
        if let password = server.password { check(dw_curl_setopt_string(handle, CURLOPT_PASSWORD, password)) }
        check(dw_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(sender)>"))
        for address in recipientAddresses { recipients = curl_slist_append(recipients, "<\(address)>") }
        check(dw_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients))
        check(dw_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
        check(dw_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count)))
        check(dw_curl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque()))
        check(dw_curl_setopt_data_callback(handle, CURLOPT_READFUNCTION, mailRead))
        let code = failures.first ?? curl_easy_perform(handle)
        guard code == CURLE_OK else {
            return .failure(.transfer(url: server.url, code: Int(code.rawValue), detail: String(cString: curl_easy_strerror(code))))
        }
        return .success(())
    }

    /// Copies the next part of the message into libcurl's buffer; 0 at its end.
    fileprivate func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, message.count - offset)
        guard count > 0 else { return 0 }
        message.withUnsafeBufferPointer { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

private func mailRead(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return 0 }
    return Unmanaged<MailTransfer>.fromOpaque(context).takeUnretainedValue().read(into: buffer, capacity: size * count)
}

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one iconv conversion descriptor (`iconv_t`) from a named encoding to UTF-8.
final class Iconv {
    private let descriptor: iconv_t

    /// nil when the C library does not know `encoding`.
    init?(from encoding: String) {
        let descriptor = iconv_open("UTF-8", encoding)
        guard let descriptor, descriptor != iconv_t(bitPattern: -1) else { return nil }
        self.descriptor = descriptor
    }

    deinit { iconv_close(descriptor) }

    /// Converts `input` to UTF-8. When `strict`, an invalid or incomplete sequence makes the
    /// whole conversion fail (nil); otherwise each bad byte becomes U+FFFD and `replaced`
    /// counts them.
    func convert(_ input: UnsafeRawBufferPointer, strict: Bool, replaced: inout Int) -> [UInt8]? {
        iconv(descriptor, nil, nil, nil, nil)
        var output = [UInt8](repeating: 0, count: max(64, input.count * 2 + 16))
        var inPointer = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: CChar.self))
        var inLeft = input.count
        var produced = 0
        while inLeft > 0 {
            let ok = output.withUnsafeMutableBytes { buffer -> Int in
                var outPointer: UnsafeMutablePointer<CChar>? = buffer.baseAddress!.advanced(by: produced).assumingMemoryBound(to: CChar.self)
                var outLeft = buffer.count - produced
                let result = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                produced = buffer.count - outLeft
                return result == -1 ? Int(errno) : 0
            }
            if ok == 0 { break }
            if ok == E2BIG {
                output.append(contentsOf: repeatElement(0, count: output.count))
                continue
            }
            // EILSEQ or EINVAL: an invalid or truncated sequence.
            if strict { return nil }
            replaced += 1
            let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
            if output.count - produced < 3 { output.append(contentsOf: repeatElement(0, count: output.count)) }
            output.replaceSubrange(produced..<(produced + 3), with: replacement)
            produced += 3
            inPointer = inPointer?.advanced(by: 1)
            inLeft -= 1
        }
        output.removeSubrange(produced...)
        return output
    }
}

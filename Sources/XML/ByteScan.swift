/// Passing over bytes sixteen at a time (SSE2), then eight (SWAR): the parsing passes skip
/// runs of ordinary text this way, and look at the bytes after a block that may hold a stop
/// one by one.
enum ByteScan {
    /// Where the first byte equal to `a`, `b` or `c` (or, with `belowSpace`, below 0x20) may
    /// be, from `start`: blocks of sixteen bytes holding none are passed in one test each, and
    /// in the first that holds one the stop is found exactly; near the end, words of eight
    /// bytes, whose test may stop at a word holding none (a borrow runs on past a byte that
    /// matched exactly), never past one holding a stop. The caller's byte loop takes over from
    /// there.
    @inline(__always)
    static func skip(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, until a: UInt8, _ b: UInt8, _ c: UInt8,
                     orBelowSpace belowSpace: Bool) -> Int {
        guard let base = bytes.baseAddress else { return start }
        // Sixteen bytes a test where there are sixteen (one SSE2 compare a stop, and a mask
        // test: the compiler's lowering of these vector operations), then eight.
        let (va, vb, vc) = (SIMD16<UInt8>(repeating: a), SIMD16<UInt8>(repeating: b), SIMD16<UInt8>(repeating: c))
        let space = SIMD16<UInt8>(repeating: 0x20)
        var i = start
        while i + 16 <= bytes.count {
            let block = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<UInt8>.self)
            var found = (block .== va) .| (block .== vb) .| (block .== vc)
            if belowSpace { found = found .| (block .< space) }
            if any(found) { return i + firstLane(found) }
            i += 16
        }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let (pa, pb, pc) = (UInt64(a) &* ones, UInt64(b) &* ones, UInt64(c) &* ones)
        while i + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            // A stop is a zero byte after the xor; a byte below 0x20 borrows from 0x20.
            let (xa, xb, xc) = (word ^ pa, word ^ pb, word ^ pc)
            var found = ((xa &- ones) & ~xa) | ((xb &- ones) & ~xb) | ((xc &- ones) & ~xc)
            if belowSpace { found |= (word &- 0x20 &* ones) & ~word }
            if found & highs != 0 { break }
            i += 8
        }
        return i
    }

    /// The first lane set in `mask` (one at least): the lowest set byte of the mask's two
    /// halves, each read as a 64-bit integer (a bit scan).
    @inline(__always)
    static func firstLane(_ mask: SIMDMask<SIMD16<Int8>>) -> Int {
        let lanes = unsafeBitCast(SIMD16<UInt8>(repeating: 0).replacing(with: 0xFF, where: mask), to: SIMD2<UInt64>.self)
        return (lanes[0] != 0 ? lanes[0].trailingZeroBitCount : 64 + lanes[1].trailingZeroBitCount) / 8
    }
}

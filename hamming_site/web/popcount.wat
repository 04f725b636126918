;; XOR + popcount scans of packed codes. The page uses scan_i64 (embedded in hamming.js as bytes);
;; benchmarks/popcount.py measures both against the SWAR loop. Memory layout is the caller's.
(module
  (memory (export "memory") 1)
  ;; i64.popcnt over w64 words a code
  (func (export "scan_i64") (param $codes i32) (param $n i32) (param $w64 i32) (param $q i32) (param $out i32)
    (local $d i32) (local $j i32) (local $dist i64) (local $p i32)
    (local.set $p (local.get $codes))
    (block $done (loop $codes_loop
      (br_if $done (i32.ge_u (local.get $d) (local.get $n)))
      (local.set $dist (i64.const 0))
      (local.set $j (i32.const 0))
      (block $wdone (loop $words
        (br_if $wdone (i32.ge_u (local.get $j) (local.get $w64)))
        (local.set $dist (i64.add (local.get $dist)
          (i64.popcnt (i64.xor
            (i64.load (local.get $p))
            (i64.load (i32.add (local.get $q) (i32.shl (local.get $j) (i32.const 3))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $words)))
      (i32.store16 (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 1))) (i32.wrap_i64 (local.get $dist)))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $codes_loop))))
  ;; i8x16.popcnt over w128 vectors a code
  (func (export "scan_simd") (param $codes i32) (param $n i32) (param $w128 i32) (param $q i32) (param $out i32)
    (local $d i32) (local $j i32) (local $acc v128) (local $p i32)
    (local.set $p (local.get $codes))
    (block $done (loop $codes_loop
      (br_if $done (i32.ge_u (local.get $d) (local.get $n)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $wdone (loop $words
        (br_if $wdone (i32.ge_u (local.get $j) (local.get $w128)))
        (local.set $acc (i16x8.add (local.get $acc) (i16x8.extadd_pairwise_i8x16_u
          (i8x16.popcnt (v128.xor
            (v128.load (local.get $p))
            (v128.load (i32.add (local.get $q) (i32.shl (local.get $j) (i32.const 4)))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $words)))
      (local.set $acc (i32x4.extadd_pairwise_i16x8_u (local.get $acc)))
      (i32.store16 (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 1)))
        (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
          (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $codes_loop)))))

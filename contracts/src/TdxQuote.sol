// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

/// On-chain checks of an Intel TDX DCAP quote (version 4, ECDSA-P256 attestation key,
/// TD report 1.0), with every P-256 signature through the EIP-7951 P256VERIFY precompile
/// at 0x100:
///   1. the quote's signature over header || TD report by the attestation key;
///   2. the QE report's binding of that key: report_data = SHA-256(att key || QE auth
///      data) || 0^32;
///   3. the QE report's signature by the PCK key (from the PCK leaf certificate);
///   4. the PCK chain: leaf signed by the intermediate CA, the intermediate signed by the
///      pinned Intel SGX Root CA key (DER certificates given by the caller; which copy of
///      the chain is used does not matter, only that it chains to the root).
/// It returns the measurement keccak256(MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3) and the
/// report data for the caller's policy. NOT checked here (contracts/README.md, known
/// limits): certificate validity periods and CRLs, the QE identity (MRSIGNER / ISV SVN of
/// the QE), and the TCB status from Intel's signed TCB info.
contract TdxQuote {
    /// Intel SGX Root CA public key (intel_sgx_root_ca.der, SHA-256 of the DER
    /// 44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3).
    bytes32 internal constant ROOT_X = 0x0ba9c4c0c0c86193a3fe23d6b02cda10a8bbd4e88e48b4458561a36e705525f5;
    bytes32 internal constant ROOT_Y = 0x67918e2edc88e40d860bd0cc4ee26aacc988e505a953558c453f6b0904ae7394;
    address internal constant P256VERIFY = address(0x100);

    error QuoteMalformed(string what);
    error QuoteSignatureInvalid();
    error QeBindingInvalid();
    error QeSignatureInvalid();
    error CertMalformed(uint256 index, string what);
    error CertSignatureInvalid(uint256 index);

    struct Result {
        bytes32 measurement;
        bytes32 reportData0;
        bytes32 reportData1;
        bytes32 mrtdHash; // keccak256(MRTD)
    }

    function verify(bytes calldata q, bytes[] calldata chain) external view returns (Result memory r) {
        _header(q);
        // 1. quote signature by the attestation key
        if (!_p256(sha256(q[0:632]), bytes32(q[636:668]), bytes32(q[668:700]), bytes32(q[700:732]), bytes32(q[732:764]))) {
            revert QuoteSignatureInvalid();
        }
        // 2. QE report binding of the attestation key
        _binding(q);
        // 4. the PCK chain to the pinned root, then 3. the QE report signature by the PCK key
        if (chain.length != 2) revert CertMalformed(chain.length, "chain: [PCK leaf, intermediate CA] expected");
        (bytes32 ix, bytes32 iy) = _checkCert(chain[1], 1, ROOT_X, ROOT_Y);
        (bytes32 px, bytes32 py) = _checkCert(chain[0], 0, ix, iy);
        if (!_p256(sha256(q[770:1154]), bytes32(q[1154:1186]), bytes32(q[1186:1218]), px, py)) revert QeSignatureInvalid();
        // the TD report: MRTD at 48 + 136, RTMR0..3 at 48 + 328 .. 48 + 520, report data at 48 + 520
        r.measurement = keccak256(abi.encodePacked(q[184:232], q[376:568]));
        r.mrtdHash = keccak256(q[184:232]);
        r.reportData0 = bytes32(q[568:600]);
        r.reportData1 = bytes32(q[600:632]);
    }

    function _header(bytes calldata q) internal pure {
        if (q.length < 1218 + 2) revert QuoteMalformed("short");
        if (_le16(q, 0) != 4) revert QuoteMalformed("version (4 expected)");
        if (_le16(q, 2) != 2) revert QuoteMalformed("attestation key type (ECDSA-P256 expected)");
        if (_le32(q, 4) != 0x81) revert QuoteMalformed("TEE type (TDX expected)");
        if (q.length < 636 + _le32(q, 632)) revert QuoteMalformed("signature data length");
        if (_le16(q, 764) != 6) revert QuoteMalformed("certification data type (QE report expected)");
    }

    function _binding(bytes calldata q) internal pure {
        uint256 authLen = _le16(q, 1218);
        if (q.length < 1220 + authLen) revert QuoteMalformed("QE auth data");
        bytes32 bind = sha256(abi.encodePacked(q[700:764], q[1220:1220 + authLen]));
        if (bytes32(q[1090:1122]) != bind || bytes32(q[1122:1154]) != 0) revert QeBindingInvalid();
    }

    /// Checks cert's signature with the issuer key; returns the cert's own public key.
    function _checkCert(bytes calldata d, uint256 index, bytes32 issuerX, bytes32 issuerY)
        internal view returns (bytes32, bytes32)
    {
        bytes32[2] memory issuer = [issuerX, issuerY];
        (uint256 c0, uint256 cEnd) = _enter(d, 0, 0x30, index, "certificate");
        if (cEnd != d.length) revert CertMalformed(index, "trailing bytes");
        (uint256 t0, uint256 tEnd) = _enter(d, c0, 0x30, index, "tbsCertificate");
        _certSig(d, c0, tEnd, index, issuer);
        return _spki(d, t0, index);
    }

    function _certSig(bytes calldata d, uint256 c0, uint256 tEnd, uint256 index, bytes32[2] memory issuer) internal view {
        (uint256 a0, uint256 aEnd) = _enter(d, tEnd, 0x30, index, "signatureAlgorithm");
        // ecdsa-with-SHA256 (1.2.840.10045.4.3.2), no parameters
        if (aEnd - a0 != 10 || keccak256(d[a0:aEnd]) != keccak256(hex"06082a8648ce3d040302")) {
            revert CertMalformed(index, "signatureAlgorithm (ecdsa-with-SHA256 expected)");
        }
        (bytes32 sr, bytes32 ss) = _sigValue(d, aEnd, d.length, index);
        if (!_p256(sha256(d[c0:tEnd]), sr, ss, issuer[0], issuer[1])) revert CertSignatureInvalid(index);
    }

    function _sigValue(bytes calldata d, uint256 p, uint256 cEnd, uint256 index) internal pure returns (bytes32 sr, bytes32 ss) {
        (uint256 b0, uint256 bEnd) = _enter(d, p, 0x03, index, "signatureValue");
        if (bEnd != cEnd || d[b0] != 0) revert CertMalformed(index, "signatureValue");
        (uint256 s0, uint256 sEnd) = _enter(d, b0 + 1, 0x30, index, "ECDSA-Sig-Value");
        if (sEnd != bEnd) revert CertMalformed(index, "ECDSA-Sig-Value length");
        uint256 q1;
        (sr, q1) = _int(d, s0, index);
        (ss, q1) = _int(d, q1, index);
        if (q1 != sEnd) revert CertMalformed(index, "ECDSA-Sig-Value length");
    }

    /// subjectPublicKeyInfo after [0] version, serial, signature, issuer, validity, subject.
    function _spki(bytes calldata d, uint256 p, uint256 index) internal pure returns (bytes32 x, bytes32 y) {
        if (uint8(d[p]) == 0xa0) p = _skip(d, p, 0xa0, index, "version");
        p = _skip(d, p, 0x02, index, "serialNumber");
        p = _skip(d, p, 0x30, index, "signature");
        p = _skip(d, p, 0x30, index, "issuer");
        p = _skip(d, p, 0x30, index, "validity");
        p = _skip(d, p, 0x30, index, "subject");
        (uint256 k0,) = _enter(d, p, 0x30, index, "subjectPublicKeyInfo");
        k0 = _skip(d, k0, 0x30, index, "algorithm");
        (uint256 kb, uint256 kEnd) = _enter(d, k0, 0x03, index, "subjectPublicKey");
        if (kEnd - kb != 66 || d[kb] != 0 || d[kb + 1] != 0x04) revert CertMalformed(index, "P-256 public key");
        x = bytes32(d[kb + 2:kb + 34]);
        y = bytes32(d[kb + 34:kb + 66]);
    }

    /// DER TLV at p with the given tag: (start of content, end of content).
    function _enter(bytes calldata d, uint256 p, uint8 tag, uint256 index, string memory what)
        internal pure returns (uint256 start, uint256 end)
    {
        if (p + 2 > d.length || uint8(d[p]) != tag) revert CertMalformed(index, what);
        uint256 l = uint8(d[p + 1]);
        start = p + 2;
        if (l >= 0x80) {
            uint256 n = l & 0x7f;
            if (n == 0 || n > 2 || start + n > d.length) revert CertMalformed(index, what);
            l = 0;
            for (uint256 i = 0; i < n; i++) l = (l << 8) | uint8(d[start + i]);
            start += n;
        }
        end = start + l;
        if (end > d.length) revert CertMalformed(index, what);
    }

    function _skip(bytes calldata d, uint256 p, uint8 tag, uint256 index, string memory what)
        internal pure returns (uint256)
    {
        (, uint256 end) = _enter(d, p, tag, index, what);
        return end;
    }

    /// A DER INTEGER of at most 32 significant bytes, as a word; and the next position.
    function _int(bytes calldata d, uint256 p, uint256 index) internal pure returns (bytes32 v, uint256 next) {
        (uint256 s, uint256 e) = _enter(d, p, 0x02, index, "INTEGER");
        while (e - s > 32 && d[s] == 0) s++;
        if (e - s > 32 || e == s) revert CertMalformed(index, "INTEGER size");
        v = bytes32(uint256(bytes32(d[s:e])) >> (8 * (32 - (e - s))));
        next = e;
    }

    function _p256(bytes32 h, bytes32 r, bytes32 s, bytes32 x, bytes32 y) internal view returns (bool) {
        (bool ok, bytes memory out) = P256VERIFY.staticcall(abi.encodePacked(h, r, s, x, y));
        return ok && out.length == 32 && uint256(bytes32(out)) == 1;
    }

    function _le16(bytes calldata d, uint256 p) internal pure returns (uint256) {
        return uint256(uint8(d[p])) | (uint256(uint8(d[p + 1])) << 8);
    }

    function _le32(bytes calldata d, uint256 p) internal pure returns (uint256) {
        return _le16(d, p) | (_le16(d, p + 2) << 16);
    }
}

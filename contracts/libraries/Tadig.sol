// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Tadig
/// @notice Validation of GSMA TADIG codes, stored as `bytes5` of ASCII.
/// @dev A TADIG code is 3 upper-case letters (the ISO 3166 alpha-3 country code) followed by 2 upper-case letters or
/// digits: `[A-Z]{3}[A-Z0-9]{2}`, e.g. `DEUD1`, `GBRCN`.
library Tadig {
    /// @notice Whether `code` is a well-formed TADIG code.
    function isValid(bytes5 code) internal pure returns (bool) {
        for (uint256 i; i < 5; ++i) {
            bytes1 c = code[i];
            bool upper = c >= 0x41 && c <= 0x5A; // A-Z
            if (i < 3) {
                if (!upper) return false;
            } else if (!upper && !(c >= 0x30 && c <= 0x39)) {
                // 0-9
                return false;
            }
        }
        return true;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title OPG
/// @notice The staking and fee token of Verdict. The whole supply is minted once, at deployment, to
///         `holder`; nothing can mint afterwards. Slashed stake is burned through {burn}.
contract OPGToken is ERC20, ERC20Permit, ERC20Burnable {
    /// @param holder Receives the fixed supply.
    /// @param supply The fixed supply, in wei (18 decimals).
    constructor(address holder, uint256 supply) ERC20("Verdict OPG", "OPG") ERC20Permit("Verdict OPG") {
        _mint(holder, supply);
    }
}

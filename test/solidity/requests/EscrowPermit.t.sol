// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Escrow} from "../../../contracts/requests/Escrow.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Test} from "../utils/Test.sol";
import {IVerdictErrors} from "../../../contracts/interfaces/IVerdictErrors.sol";

/// @dev The Escrow base on its own, with its internal credit exposed.
contract EscrowProbe is Escrow {
    constructor(IERC20 token_) Escrow(token_) {}

    function credit(address account, uint256 amount) external {
        _credit(account, amount);
    }
}

/// @notice Escrow's permit deposit and zero amounts.
contract EscrowPermitTest is Test {
    bytes32 internal constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );
    uint256 internal constant OWNER_KEY = 0xA11CE5;

    OPGToken internal token;
    EscrowProbe internal escrow;
    address internal owner;

    function setUp() public {
        token = new OPGToken(address(this), 1e9 ether);
        escrow = new EscrowProbe(IERC20(address(token)));
        owner = vm.addr(OWNER_KEY);
        token.transfer(owner, 100 ether);
    }

    function _permit(uint256 amount, uint256 deadline) internal view returns (uint8 v, bytes32 r, bytes32 s) {
        bytes32 structHash = keccak256(
            abi.encode(PERMIT_TYPEHASH, owner, address(escrow), amount, token.nonces(owner), deadline)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        return vm.sign(OWNER_KEY, digest);
    }

    function testDepositWithPermitCreditsTheOwner() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(30 ether, deadline);
        escrow.depositWithPermit(owner, 30 ether, deadline, v, r, s);
        assertEq(escrow.balanceOf(owner), 30 ether, "credited");
        assertEq(token.balanceOf(owner), 70 ether, "pulled from the owner");
        assertEq(token.balanceOf(address(escrow)), 30 ether, "held");
    }

    function testFrontRunPermitStillDeposits() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(30 ether, deadline);
        token.permit(owner, address(escrow), 30 ether, deadline, v, r, s); // someone used it first
        escrow.depositWithPermit(owner, 30 ether, deadline, v, r, s);
        assertEq(escrow.balanceOf(owner), 30 ether, "credited anyway");
    }

    function testBadPermitWithoutAllowanceLeavesBalancesIntact() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(30 ether, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector,
                address(escrow),
                0,
                31 ether
            )
        );
        escrow.depositWithPermit(owner, 31 ether, deadline, v, r, s); // signed for 30, asks 31
        assertEq(escrow.balanceOf(owner), 0, "nothing credited");
        assertEq(token.balanceOf(owner), 100 ether, "nothing pulled");
    }

    function testZeroDepositIsRefusedAndZeroCreditIsSilent() public {
        token.approve(address(escrow), 1 ether);
        vm.expectRevert(IVerdictErrors.ZeroAmount.selector);
        escrow.deposit(address(this), 0);
        escrow.credit(owner, 0);
        assertEq(escrow.balanceOf(owner), 0, "zero credit books nothing");
        escrow.credit(owner, 5);
        assertEq(escrow.balanceOf(owner), 5, "credit books");
    }
}

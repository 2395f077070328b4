import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { encodeTadig } from "../../../sdk/src/tadig";
import type { MockCapacityReceiver } from "../../../sdk/src/typechain";
import { DAY, deployCapacityFixture, type CapacityFixture } from "../../helpers/capacity";

async function withContractMember(): Promise<CapacityFixture & { receiver: MockCapacityReceiver }> {
  const f = await deployCapacityFixture();
  const receiver = (await (
    await ethers.getContractFactory("MockCapacityReceiver")
  ).deploy()) as unknown as MockCapacityReceiver;
  await f.registry
    .connect(f.accounts.registrar)
    .registerOperator([encodeTadig("FRAXX")], receiver, f.accounts.dave, [ethers.Wallet.createRandom().address], "");
  return { ...f, receiver };
}

describe("CapacityToken transfers (ERC-1155)", () => {
  describe("ERC-165", () => {
    it("should support ERC-165, ERC-1155 and the ERC-1155 metadata URI extension, and nothing else", async () => {
      const { capacity } = await loadFixture(deployCapacityFixture);
      expect(await capacity.supportsInterface("0x01ffc9a7")).to.equal(true); // ERC-165
      expect(await capacity.supportsInterface("0xd9b67a26")).to.equal(true); // ERC-1155
      expect(await capacity.supportsInterface("0x0e89341c")).to.equal(true); // ERC1155MetadataURI
      expect(await capacity.supportsInterface("0xffffffff")).to.equal(false);
      expect(await capacity.supportsInterface("0x4e2312e0")).to.equal(false); // a receiver, which it is not
    });
  });

  describe("balances and approvals", () => {
    it("should report balances one by one and in batch", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      expect(await f.capacity.balanceOfBatch([a.alice, a.alice, a.bob], [f.dataId, f.sliceId, f.dataId])).to.deep.equal(
        [100n, 10n, 0n],
      );
    });

    it("should revert with ERC1155InvalidArrayLength for batch arrays of different lengths", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await expect(f.capacity.balanceOfBatch([f.accounts.alice], [f.dataId, f.sliceId]))
        .to.be.revertedWithCustomError(f.capacity, "ERC1155InvalidArrayLength")
        .withArgs(2, 1);
    });

    it("should set and clear an operator approval with ApprovalForAll, and refuse the zero operator", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      await expect(f.capacity.connect(a.bob).setApprovalForAll(a.carol, true))
        .to.emit(f.capacity, "ApprovalForAll")
        .withArgs(a.bob.address, a.carol.address, true);
      expect(await f.capacity.isApprovedForAll(a.bob, a.carol)).to.equal(true);
      await f.capacity.connect(a.bob).setApprovalForAll(a.carol, false);
      expect(await f.capacity.isApprovedForAll(a.bob, a.carol)).to.equal(false);
      await expect(f.capacity.connect(a.bob).setApprovalForAll(ethers.ZeroAddress, true))
        .to.be.revertedWithCustomError(f.capacity, "ERC1155InvalidOperator")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("safeTransferFrom", () => {
    describe("when the caller is neither the holder nor approved", () => {
      it("should revert with ERC1155MissingApprovalForAll", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await expect(f.capacity.connect(a.eve).safeTransferFrom(a.alice, a.bob, f.dataId, 1n, "0x"))
          .to.be.revertedWithCustomError(f.capacity, "ERC1155MissingApprovalForAll")
          .withArgs(a.eve.address, a.alice.address);
      });
    });

    describe("when the holder lacks the units", () => {
      it("should revert with ERC1155InsufficientBalance", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await expect(f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 101n, "0x"))
          .to.be.revertedWithCustomError(f.capacity, "ERC1155InsufficientBalance")
          .withArgs(a.alice.address, 100n, 101n, f.dataId);
      });
    });

    describe("when the recipient is not an active operator's admin", () => {
      it("should revert with NotMember for an outsider, a signer key and a suspended member", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await f.registry.connect(a.pauser).suspendOperator(f.beta, ethers.ZeroHash);
        for (const to of [a.eve, a.aliceSigner, a.bob]) {
          await expect(f.capacity.connect(a.alice).safeTransferFrom(a.alice, to, f.dataId, 1n, "0x"))
            .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotMember")
            .withArgs(to.address);
        }
      });

      it("should revert with ERC1155InvalidReceiver for the zero address", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await expect(f.capacity.connect(a.alice).safeTransferFrom(a.alice, ethers.ZeroAddress, f.dataId, 1n, "0x"))
          .to.be.revertedWithCustomError(f.capacity, "ERC1155InvalidReceiver")
          .withArgs(ethers.ZeroAddress);
      });
    });

    describe("when the class's validity is over", () => {
      it("should move at the last second and revert with ClassExpired from validUntil on", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await time.setNextBlockTimestamp(BigInt(f.data.validUntil) - 1n);
        await f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 1n, "0x");
        await expect(f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 1n, "0x"))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_ClassExpired")
          .withArgs(f.dataId, f.data.validUntil);
      });
    });

    describe("when the class does not exist", () => {
      it("should revert with UnknownClass even for a zero amount", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await expect(f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, 5n, 0n, "0x"))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownClass")
          .withArgs(5n);
      });
    });

    describe("when the token is paused", () => {
      it("should revert with EnforcedPause", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await f.capacity.connect(a.pauser).pause();
        await expect(
          f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 1n, "0x"),
        ).to.be.revertedWithCustomError(f.capacity, "EnforcedPause");
      });
    });

    describe("when everything holds", () => {
      it("should move the units by the holder and by an approved operator, with TransferSingle", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await expect(f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 30n, "0x"))
          .to.emit(f.capacity, "TransferSingle")
          .withArgs(a.alice.address, a.alice.address, a.bob.address, f.dataId, 30n);
        await f.capacity.connect(a.bob).setApprovalForAll(a.eve, true);
        // An approved operator need not be a member: only the recipient must be.
        await expect(f.capacity.connect(a.eve).safeTransferFrom(a.bob, a.carol, f.dataId, 10n, "0x"))
          .to.emit(f.capacity, "TransferSingle")
          .withArgs(a.eve.address, a.bob.address, a.carol.address, f.dataId, 10n);
        expect(
          await f.capacity.balanceOfBatch([a.alice, a.bob, a.carol], [f.dataId, f.dataId, f.dataId]),
        ).to.deep.equal([70n, 20n, 10n]);
        expect(await f.capacity["totalSupply(uint256)"](f.dataId)).to.equal(100n);
      });

      it("should let a suspended holder transfer to an active member (only receiving is new business)", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await f.registry.connect(a.pauser).suspendOperator(f.alpha, ethers.ZeroHash);
        await f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 1n, "0x");
        expect(await f.capacity.balanceOf(a.bob, f.dataId)).to.equal(1n);
      });
    });

    describe("when the recipient is a contract", () => {
      it("should call onERC1155Received with operator, sender, id and value", async () => {
        const f = await loadFixture(withContractMember);
        const a = f.accounts;
        await expect(f.capacity.connect(a.alice).safeTransferFrom(a.alice, f.receiver, f.dataId, 2n, "0xabcd"))
          .to.emit(f.receiver, "Received")
          .withArgs(a.alice.address, a.alice.address, f.dataId, 2n);
      });

      it("should revert with ERC1155InvalidReceiver for a wrong answer or an empty revert, and bubble a reason", async () => {
        const f = await loadFixture(withContractMember);
        const a = f.accounts;
        for (const mode of [1, 2]) {
          await f.receiver.configure(mode, ethers.ZeroAddress, "0x", false);
          await expect(f.capacity.connect(a.alice).safeTransferFrom(a.alice, f.receiver, f.dataId, 1n, "0x"))
            .to.be.revertedWithCustomError(f.capacity, "ERC1155InvalidReceiver")
            .withArgs(await f.receiver.getAddress());
        }
        await f.receiver.configure(3, ethers.ZeroAddress, "0x", false);
        await expect(
          f.capacity.connect(a.alice).safeTransferFrom(a.alice, f.receiver, f.dataId, 1n, "0x"),
        ).to.be.revertedWithCustomError(f.receiver, "MockCapacityReceiver_Refused");
        expect(await f.capacity.balanceOf(a.alice, f.dataId)).to.equal(100n);
      });

      it("should revert with ERC1155InvalidReceiver for a contract without the hook", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        // The market is a contract without receiver hooks; make it an operator's admin to reach the hook check.
        await f.registry
          .connect(a.registrar)
          .registerOperator([encodeTadig("FRAYY")], f.market, a.dave, [ethers.Wallet.createRandom().address], "");
        await expect(f.capacity.connect(a.alice).safeTransferFrom(a.alice, f.market, f.dataId, 1n, "0x"))
          .to.be.revertedWithCustomError(f.capacity, "ERC1155InvalidReceiver")
          .withArgs(await f.market.getAddress());
      });
    });
  });

  describe("safeBatchTransferFrom", () => {
    it("should move several classes at once with TransferBatch and call onERC1155BatchReceived", async () => {
      const f = await loadFixture(withContractMember);
      const a = f.accounts;
      await expect(
        f.capacity.connect(a.alice).safeBatchTransferFrom(a.alice, a.bob, [f.dataId, f.sliceId], [5n, 2n], "0x"),
      )
        .to.emit(f.capacity, "TransferBatch")
        .withArgs(a.alice.address, a.alice.address, a.bob.address, [f.dataId, f.sliceId], [5n, 2n]);
      expect(await f.capacity.balanceOfBatch([a.bob, a.bob], [f.dataId, f.sliceId])).to.deep.equal([5n, 2n]);
      await expect(
        f.capacity.connect(a.alice).safeBatchTransferFrom(a.alice, f.receiver, [f.dataId, f.sliceId], [1n, 1n], "0x"),
      )
        .to.emit(f.receiver, "Received")
        .withArgs(a.alice.address, a.alice.address, f.sliceId, 1n);
    });

    it("should revert with ERC1155InvalidArrayLength for ids and values of different lengths", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      await expect(f.capacity.connect(a.alice).safeBatchTransferFrom(a.alice, a.bob, [f.dataId, f.sliceId], [1n], "0x"))
        .to.be.revertedWithCustomError(f.capacity, "ERC1155InvalidArrayLength")
        .withArgs(2, 1);
    });

    it("should revert whole with ClassExpired when one class of the batch expired", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      const shortLived = {
        ...f.data,
        salt: ethers.toBeHex(1, 32),
        validFrom: 0n,
        validUntil: BigInt(await time.latest()) + BigInt(DAY),
      };
      await f.capacity.connect(a.alice).createClass(shortLived, "");
      const shortId = await f.capacity.classIdOf(shortLived);
      await f.capacity.connect(a.alice).mint(shortId, a.alice, 1n, "0x");
      await time.increaseTo(shortLived.validUntil);
      await expect(
        f.capacity.connect(a.alice).safeBatchTransferFrom(a.alice, a.bob, [f.dataId, shortId], [1n, 1n], "0x"),
      )
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_ClassExpired")
        .withArgs(shortId, shortLived.validUntil);
      expect(await f.capacity.balanceOf(a.bob, f.dataId)).to.equal(0n);
    });

    it("should revert with NotMember for an outsider recipient", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      await expect(f.capacity.connect(a.alice).safeBatchTransferFrom(a.alice, a.eve, [f.dataId], [1n], "0x"))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotMember")
        .withArgs(a.eve.address);
    });
  });
});

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { Interface } from "ethers";

import { DEFAULT_GOVERNOR_DELAY, FUNCTION_ROLES, Roles } from "../../sdk/src/governance";
import {
  OperatorRegistry__factory,
  RoamingAgreements__factory,
  SettlementVault__factory,
  UsageClearing__factory,
  CapacityToken__factory,
  CapacityMarket__factory,
} from "../../sdk/src/typechain";

/** Default time after a batch's dispute window from which the arbiter may decide its held part: 30 days. */
export const DEFAULT_ESCALATION_TIMEOUT = 30 * 24 * 60 * 60;

/** Default base metadata URI of capacity classes (ERC-1155 `{id}` substitution); governance may change it. */
export const DEFAULT_CAPACITY_BASE_URI = "https://metadata.roamledger.org/capacity/{id}.json";

/** The selectors of the restricted functions of one contract, grouped by the role that may call them. */
export function selectorsByRole(abi: Interface, table: Record<string, keyof typeof Roles>): Map<bigint, string[]> {
  const byRole = new Map<bigint, string[]>();
  for (const [name, role] of Object.entries(table)) {
    const fn = abi.getFunction(name);
    if (fn === null) throw new Error(`FUNCTION_ROLES names ${name}, which the contract does not have`);
    const id = Roles[role];
    byRole.set(id, [...(byRole.get(id) ?? []), fn.selector]);
  }
  return byRole;
}

/**
 * The suite: the AccessManager that governs every contract, the operator registry, the roaming agreements and the
 * settlement vault (both read the registry).
 *
 * Parameters (all optional; defaults suit a local node, where account 0 holds every role):
 * - `admin`: the consortium's root account (multisig or timelock); granted ADMIN in addition to the deployer.
 * - `governor`, `registrar`, `pauser`, `arbiter`: the holders of those roles.
 * - `governorDelay`: the governor's execution delay in seconds (default two days).
 * - `targetAdminDelay`: delay on later changes of a contract's function roles (default 0).
 * - `escalationTimeout`: seconds after a batch's dispute window from which the arbiter may decide a held part
 *   (default 30 days).
 * - `capacityBaseURI`: the base metadata URI of capacity classes (default {@link DEFAULT_CAPACITY_BASE_URI}).
 *
 * Usage clearing (`UsageClearing`, which deploys its challenge module), period settlement (`PeriodSettlement`), the
 * capacity token (`CapacityToken`, for SLA credits) and its market (`CapacityMarket`, for delivery versus payment) are
 * put on the vault's list of suite contracts here. Settlement tokens are allowed afterwards by the governor
 * (`SettlementVault.allowToken`, after its delay).
 */
export default buildModule("RoamLedger", (m) => {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const governor = m.getParameter("governor", deployer);
  const registrar = m.getParameter("registrar", deployer);
  const pauser = m.getParameter("pauser", deployer);
  const arbiter = m.getParameter("arbiter", deployer);
  const governorDelay = m.getParameter("governorDelay", DEFAULT_GOVERNOR_DELAY);
  const targetAdminDelay = m.getParameter("targetAdminDelay", 0);
  const escalationTimeout = m.getParameter("escalationTimeout", DEFAULT_ESCALATION_TIMEOUT);
  const capacityBaseURI = m.getParameter("capacityBaseURI", DEFAULT_CAPACITY_BASE_URI);

  const manager = m.contract("RoamLedgerManager", [deployer]);
  const registry = m.contract("OperatorRegistry", [manager]);
  const agreements = m.contract("RoamingAgreements", [manager, registry]);
  const vault = m.contract("SettlementVault", [manager, registry]);
  const clearing = m.contract("UsageClearing", [manager, registry, agreements, vault, escalationTimeout]);
  const settlement = m.contract("PeriodSettlement", [clearing]);
  m.call(vault, "setSuiteContract", [clearing, true], { id: "suite_clearing" });
  m.call(vault, "setSuiteContract", [settlement, true], { id: "suite_settlement" });
  const capacity = m.contract("CapacityToken", [manager, registry, vault, capacityBaseURI]);
  const market = m.contract("CapacityMarket", [manager, registry, vault, capacity]);
  m.call(vault, "setSuiteContract", [capacity, true], { id: "suite_capacity" });
  m.call(vault, "setSuiteContract", [market, true], { id: "suite_market" });

  for (const [label, id] of Object.entries(Roles)) {
    if (id !== Roles.ADMIN) m.call(manager, "labelRole", [id, label], { id: `label_${label}` });
  }

  const governed = [
    { key: "registry", future: registry, abi: OperatorRegistry__factory.abi, table: FUNCTION_ROLES.OperatorRegistry },
    {
      key: "agreements",
      future: agreements,
      abi: RoamingAgreements__factory.abi,
      table: FUNCTION_ROLES.RoamingAgreements,
    },
    { key: "vault", future: vault, abi: SettlementVault__factory.abi, table: FUNCTION_ROLES.SettlementVault },
    { key: "clearing", future: clearing, abi: UsageClearing__factory.abi, table: FUNCTION_ROLES.UsageClearing },
    { key: "capacity", future: capacity, abi: CapacityToken__factory.abi, table: FUNCTION_ROLES.CapacityToken },
    { key: "market", future: market, abi: CapacityMarket__factory.abi, table: FUNCTION_ROLES.CapacityMarket },
  ];
  const wiring = governed.flatMap(({ key, future, abi, table }) =>
    [...selectorsByRole(new Interface(abi), table)].map(([role, selectors]) =>
      m.call(manager, "setTargetFunctionRole", [future, selectors, role], { id: `${key}_role_${role}` }),
    ),
  );

  const grants = [
    m.call(manager, "grantRole", [Roles.ADMIN, admin, 0], { id: "grant_ADMIN" }),
    m.call(manager, "grantRole", [Roles.GOVERNOR, governor, governorDelay], { id: "grant_GOVERNOR" }),
    m.call(manager, "grantRole", [Roles.REGISTRAR, registrar, 0], { id: "grant_REGISTRAR" }),
    m.call(manager, "grantRole", [Roles.PAUSER, pauser, 0], { id: "grant_PAUSER" }),
    m.call(manager, "grantRole", [Roles.ARBITER, arbiter, 0], { id: "grant_ARBITER" }),
  ];
  for (const { key, future } of governed) {
    m.call(manager, "setTargetAdminDelay", [future, targetAdminDelay], {
      id: `${key}_admin_delay`,
      after: [...wiring, ...grants],
    });
  }

  return { manager, registry, agreements, vault, clearing, settlement, capacity, market };
});

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { Interface } from "ethers";

import {
  DEFAULT_ADMIN_DELAY,
  DEFAULT_ARBITER_DELAY,
  DEFAULT_GOVERNOR_DELAY,
  DEFAULT_GRANT_DELAY,
  DEFAULT_TARGET_ADMIN_DELAY,
  FUNCTION_ROLES,
  GRANT_DELAYED_ROLES,
  Roles,
} from "../../sdk/src/governance";
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
 * Parameters (`deploy/parameters/<network>.json`; delays in seconds):
 * - `admin`, `governor`, `registrar`, `pauser`, `arbiter` (required, no default): the holders of those roles. `admin`
 *   is the consortium's root account (multisig or timelock). None may be the deployer: it renounces ADMIN at the end
 *   and holds no role after the deployment.
 * - `adminDelay`: the admin's execution delay (default {@link DEFAULT_ADMIN_DELAY}, ten days).
 * - `governorDelay`: the governor's execution delay (default {@link DEFAULT_GOVERNOR_DELAY}, two days).
 * - `arbiterDelay`: the arbiter's execution delay (default {@link DEFAULT_ARBITER_DELAY}, two days).
 * - `grantDelay`: the grant delay of ADMIN, GOVERNOR and ARBITER ({@link GRANT_DELAYED_ROLES}; default
 *   {@link DEFAULT_GRANT_DELAY}, ten days).
 * - `targetAdminDelay`: the delay on later changes of each contract's authority, function roles and closed flag
 *   (default {@link DEFAULT_TARGET_ADMIN_DELAY}, ten days).
 * - `escalationTimeout`: seconds after a batch's dispute window from which the arbiter may decide a held part
 *   (default 30 days).
 * - `capacityBaseURI`: the base metadata URI of capacity classes (default {@link DEFAULT_CAPACITY_BASE_URI}).
 *
 * Usage clearing (`UsageClearing`, which deploys its challenge module), period settlement (`PeriodSettlement`), the
 * capacity token (`CapacityToken`, for SLA credits) and its market (`CapacityMarket`, for delivery versus payment) are
 * put on the vault's list of suite contracts here. Settlement tokens are allowed afterwards by the governor
 * (`SettlementVault.allowToken`, after its delay).
 *
 * The deployer is the manager's initial admin while it wires the suite; then it grants ADMIN to `admin` (with
 * `adminDelay`), sets the grant and target-admin delays, and renounces its own ADMIN role, last. AccessManager applies
 * the grant and target-admin delays five days after they are set (its `minSetback()`); until then the
 * admin's execution delay, longer than that, is what holds every grant and re-mapping back. If `admin` is the deployer
 * and `adminDelay` is not 0, the deployer's own later calls need scheduling and the deployment stops before the
 * renunciation (the deployer keeps ADMIN); with `adminDelay` 0 it would leave no admin at all: never name the deployer.
 */
export default buildModule("RoamLedger", (m) => {
  const deployer = m.getAccount(0);
  const admin = m.getParameter<string>("admin");
  const governor = m.getParameter<string>("governor");
  const registrar = m.getParameter<string>("registrar");
  const pauser = m.getParameter<string>("pauser");
  const arbiter = m.getParameter<string>("arbiter");
  const adminDelay = m.getParameter("adminDelay", DEFAULT_ADMIN_DELAY);
  const governorDelay = m.getParameter("governorDelay", DEFAULT_GOVERNOR_DELAY);
  const arbiterDelay = m.getParameter("arbiterDelay", DEFAULT_ARBITER_DELAY);
  const grantDelay = m.getParameter("grantDelay", DEFAULT_GRANT_DELAY);
  const targetAdminDelay = m.getParameter("targetAdminDelay", DEFAULT_TARGET_ADMIN_DELAY);
  const escalationTimeout = m.getParameter("escalationTimeout", DEFAULT_ESCALATION_TIMEOUT);
  const capacityBaseURI = m.getParameter("capacityBaseURI", DEFAULT_CAPACITY_BASE_URI);

  const manager = m.contract("RoamLedgerManager", [deployer]);
  const registry = m.contract("OperatorRegistry", [manager]);
  const agreements = m.contract("RoamingAgreements", [manager, registry]);
  const vault = m.contract("SettlementVault", [manager, registry]);
  const clearing = m.contract("UsageClearing", [manager, registry, agreements, vault, escalationTimeout]);
  const settlement = m.contract("PeriodSettlement", [clearing]);
  const capacity = m.contract("CapacityToken", [manager, registry, vault, capacityBaseURI]);
  const market = m.contract("CapacityMarket", [manager, registry, vault, capacity]);
  const suiteList = [
    m.call(vault, "setSuiteContract", [clearing, true], { id: "suite_clearing" }),
    m.call(vault, "setSuiteContract", [settlement, true], { id: "suite_settlement" }),
    m.call(vault, "setSuiteContract", [capacity, true], { id: "suite_capacity" }),
    m.call(vault, "setSuiteContract", [market, true], { id: "suite_market" }),
  ];

  const labels = Object.entries(Roles)
    .filter(([, id]) => id !== Roles.ADMIN)
    .map(([label, id]) => m.call(manager, "labelRole", [id, label], { id: `label_${label}` }));

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

  // The grants come after the wiring, so the deployer's own calls above never depend on who holds what.
  const grants = [
    m.call(manager, "grantRole", [Roles.ADMIN, admin, adminDelay], { id: "grant_ADMIN", after: wiring }),
    m.call(manager, "grantRole", [Roles.GOVERNOR, governor, governorDelay], { id: "grant_GOVERNOR", after: wiring }),
    m.call(manager, "grantRole", [Roles.REGISTRAR, registrar, 0], { id: "grant_REGISTRAR", after: wiring }),
    m.call(manager, "grantRole", [Roles.PAUSER, pauser, 0], { id: "grant_PAUSER", after: wiring }),
    m.call(manager, "grantRole", [Roles.ARBITER, arbiter, arbiterDelay], { id: "grant_ARBITER", after: wiring }),
  ];
  // Grant delays after the grants: in force, they would hold back this deployment's own role holders.
  const grantDelays = GRANT_DELAYED_ROLES.map((role) =>
    m.call(manager, "setGrantDelay", [Roles[role], grantDelay], { id: `grant_delay_${role}`, after: grants }),
  );
  const targetAdminDelays = governed.map(({ key, future }) =>
    m.call(manager, "setTargetAdminDelay", [future, targetAdminDelay], {
      id: `${key}_admin_delay`,
      after: [...wiring, ...grants],
    }),
  );

  // Last: the deployer gives up its ADMIN role. From here on every admin operation is scheduled by `admin` and
  // waits out its delay, visible to members as an `OperationScheduled` event.
  m.call(manager, "renounceRole", [Roles.ADMIN, deployer], {
    id: "renounce_deployer_ADMIN",
    after: [...suiteList, ...labels, ...wiring, ...grants, ...grantDelays, ...targetAdminDelays],
  });

  return { manager, registry, agreements, vault, clearing, settlement, capacity, market };
});

/**
 * cairn as a library: the pipeline the CLI runs, one stage per export, composed by the deploy
 * functions. answer file + inventory -> loadDeployment -> Deployment; planDeployment (decide
 * from hardware, renderFiles, buildPlan) -> Plan; applyPlan -> ApplyReport; verifyCloud ->
 * VerifyReport. deployCloud and deployContainersCloud run them all, once each per run.
 */
export { loadDeployment, type LoadResult } from './config/deployment.js';
export type { Deployment, Host } from './config/model.js';
export { renderFiles, type RenderedFile } from './render/render-files.js';
export { buildPlan } from './plan/build-plan.js';
export { decideHosts, type Hardware } from './plan/decide-hosts.js';
export type { Plan, HostPlan, Step } from './plan/steps.js';
export { applyPlan, type ApplyOptions, type ApplyReport, type Planner } from './apply/apply-plan.js';
export type { ApplyEvent } from './apply/events.js';
export { planDeployment, type Planned } from './deploy/plan-deployment.js';
export { deployCloud, type DeployCloudOptions, type DeployOutcome } from './deploy/deploy-cloud.js';
export { deployContainersCloud, upgradeService, rollbackService } from './deploy/containers.js';
export { verifyCloud, type VerifyCloudOptions } from './deploy/verify-cloud.js';
export type { VerifyReport } from './verify/run-verify.js';
export { allServices } from './services/index.js';
export type { ServiceDescriptor } from './services/descriptor.js';
export { connectSsh } from './transport/ssh-transport.js';
export type { Transport } from './transport/transport.js';
export { CairnError, EXIT, HostError, UsageError, isExpected } from './errors.js';

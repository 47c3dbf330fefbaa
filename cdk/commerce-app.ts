import { Aspects, Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { apiClientsOf, type EnvironmentSettings, environmentsOf, marketplacesOf } from './config';
import { NotifyEveryAlarm } from './constructs/alarm-topic';
import { pascal } from './constructs/commerce-api';
import { ApiStack } from './stacks/api-stack';
import { BaselineStack } from './stacks/baseline-stack';
import type { StatelessDefinitions } from './stacks/context-groups';
import { STATELESS_DEFINITIONS } from './stacks/context-groups';
import { DataStack } from './stacks/data-stack';

/** The stacks of one environment. */
export interface CommerceStacks {
  /** What the account and Region hold once: the API Gateway logging role. */
  readonly baseline: BaselineStack;
  /** Key, tables, bus, archive, audit log, user pool, alarm topic. */
  readonly data: DataStack;
  /**
   * The REST API and the dashboard, and a nested stack per context with its functions, workflows,
   * rules, schedules and stream subscriptions.
   */
  readonly api: ApiStack;
}

/** Properties of a {@link CommerceStage}. */
export interface CommerceStageProps extends StageProps {
  /** The environment's name, as in `commerce:environments` (`dev`). */
  readonly environment: string;
  /** Its settings; `env` is taken from their account and Region. */
  readonly settings: EnvironmentSettings;
  /** Replaces the functions, rules and workflows of `shared/platform/definitions.ts` (tests of other shapes). */
  readonly definitions?: StatelessDefinitions;
}

/**
 * One environment of connected-commerce (`Dev`, `Staging`, `Prod`): its baseline stack, the stateful
 * `CommerceData` stack and the stateless `CommerceApi` stack (with its nested stacks, one per
 * context), in the account and Region of its settings, named `<Stage>-CommerceData` and so on. Every
 * alarm in it notifies the environment's alarm topic.
 */
export class CommerceStage extends Stage {
  /** The environment's name. */
  public readonly environment: string;
  /** Its settings. */
  public readonly settings: EnvironmentSettings;
  /** Its stacks. */
  public readonly stacks: CommerceStacks;

  constructor(scope: Construct, props: CommerceStageProps) {
    const { environment, settings } = props;
    super(scope, pascal(environment), {
      ...props,
      env: { account: settings.account, region: settings.region },
    });
    this.environment = environment;
    this.settings = settings;
    const definitions = props.definitions ?? STATELESS_DEFINITIONS;
    const clients = apiClientsOf(this);

    const baseline = new BaselineStack(this, 'CommerceBaseline');
    const data = new DataStack(this, 'CommerceData', {
      environment,
      settings,
      contexts: definitions.contexts,
      clients,
      marketplaces: marketplacesOf(this).map((name) => ({
        name,
        account: settings.marketplaceAccounts[name]!,
        externalId: settings.marketplaceExternalIds[name]!,
      })),
    });
    const api = new ApiStack(this, 'CommerceApi', {
      environment,
      settings,
      clients,
      tables: data.tables,
      bus: data.bus,
      auditLog: data.auditLog,
      key: data.key,
      userPool: data.auth.userPool,
      authClientsJson: data.auth.clientPrincipalsJson,
      tokenUrl: data.auth.tokenEndpoint,
      definitions,
    });
    // The stage's execution and access logs need the account's logging role in place first.
    api.addStackDependency(baseline);
    this.stacks = { baseline, data, api };
    Aspects.of(this).add(new NotifyEveryAlarm(data.alarms.topic));
  }
}

/**
 * Adds one stage per environment of `commerce:environments` (dev, staging, prod) to the app. Used
 * by `cdk/app.ts`; the infra tests build one stage with {@link CommerceStage} directly.
 */
export function addCommerceStages(app: Construct): CommerceStage[] {
  return Object.entries(environmentsOf(app)).map(
    ([environment, settings]) => new CommerceStage(app, { environment, settings }),
  );
}

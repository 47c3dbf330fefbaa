import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { pascal } from './commerce-api';

/**
 * Who may put which events on the commerce bus. A same-account principal whose identity policy
 * allows `events:PutEvents` needs nothing from the bus policy, so an Allow there closes nothing: each
 * rule below is a Deny, on every principal but the ones named, for one family of sources.
 */

/**
 * A marketplace that puts `marketplace.<name>` events on the bus, the account it calls from, and the
 * external ID it must pass when it assumes its role.
 */
export interface Marketplace {
  readonly name: string;
  readonly account: string;
  readonly externalId: string;
}

/** The source a marketplace's events carry: the rule `MarketplaceOrderPlaced` matches `marketplace.*`. */
export const marketplaceSource = (name: string): string => `marketplace.${name}`;

/** Properties of {@link MarketplaceAccess}. */
export interface MarketplaceAccessProps {
  readonly bus: events.EventBus;
  readonly marketplaces: readonly Marketplace[];
}

/**
 * Per marketplace, a role its account assumes to put its events on the bus, allowed `PutEvents` on
 * this bus only with its own source, and a statement of the bus policy denying that source to every
 * other principal, so no one else, in this account or another, can pose as the marketplace.
 */
export class MarketplaceAccess extends Construct {
  /** The role of each marketplace, by name. */
  public readonly roles: ReadonlyMap<string, iam.Role>;

  constructor(scope: Construct, id: string, props: MarketplaceAccessProps) {
    super(scope, id);
    const roles = new Map<string, iam.Role>();
    for (const { name, account, externalId } of props.marketplaces) {
      const source = marketplaceSource(name);
      const role = new iam.Role(this, `${pascal(name)}Role`, {
        assumedBy: new iam.AccountPrincipal(account),
        // The marketplace acts for many retailers: without this retailer's ID it cannot assume it.
        externalIds: [externalId],
        description: `Marketplace ${name} puts ${source} events on the commerce bus`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['events:PutEvents'],
          resources: [props.bus.eventBusArn],
          conditions: { StringEquals: { 'events:source': source } },
        }),
      );
      props.bus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Only${pascal(name)}PutsItsSource`,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [props.bus.eventBusArn],
          conditions: {
            StringEquals: { 'events:source': source },
            ArnNotEquals: { 'aws:PrincipalArn': role.roleArn },
          },
        }),
      );
      roles.set(name, role);
    }
    // A marketplace not in the list has no role, and its source no statement above: without this
    // one, any principal of the account allowed PutEvents could put `marketplace.<unlisted>` orders,
    // which the intake rule (every `marketplace.` source) would take.
    props.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyListedMarketplacesPutMarketplaceEvents',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: {
          StringLike: { 'events:source': 'marketplace.*' },
          ...(roles.size > 0
            ? { ArnNotEquals: { 'aws:PrincipalArn': [...roles.values()].map((role) => role.roleArn) } }
            : {}),
        },
      }),
    );
    this.roles = roles;
  }
}

/** Properties of {@link DomainEventPublishers}. */
export interface DomainEventPublishersProps {
  readonly bus: events.IEventBus;
  /** Roles of the functions whose definition puts events: the only ones that may put `commerce.*`. */
  readonly roles: readonly iam.IRole[];
}

/**
 * The statement of the bus policy that keeps `commerce.*` events to the system's own publishers:
 * `PutEvents` with a `commerce.` source is denied to every principal but the roles of the functions
 * whose definition says `putsEvents` (the outbox publisher, and the two functions that publish
 * directly), so a consumer reacts only to what the system itself said happened. It lives next to
 * those roles, in the stateless stack.
 */
export class DomainEventPublishers extends Construct {
  /** The bus policy statement. */
  public readonly policy: events.EventBusPolicy;

  constructor(scope: Construct, id: string, props: DomainEventPublishersProps) {
    super(scope, id);
    this.policy = new events.EventBusPolicy(this, 'Policy', {
      eventBus: props.bus,
      statementId: 'OnlyTheSystemPutsCommerceEvents',
      statement: new iam.PolicyStatement({
        sid: 'OnlyTheSystemPutsCommerceEvents',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: {
          StringLike: { 'events:source': 'commerce.*' },
          ArnNotEquals: { 'aws:PrincipalArn': props.roles.map((role) => role.roleArn) },
        },
      }).toJSON(),
    });
  }
}

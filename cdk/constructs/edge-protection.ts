import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** Properties of {@link EdgeProtection}. */
export interface EdgeProtectionProps {
  /** The stage the web ACL guards. */
  readonly stage: apigw.Stage;
  /** Requests one client may send in five minutes (the environment's `wafRateLimit`). */
  readonly rateLimit: number;
}

/** How many clients' worth of requests one IP address may send, tokens or not: a NAT or a proxy carries several. */
export const PER_IP_CLIENTS = 5;

const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

const NONE = [{ priority: 0, type: 'NONE' }];

/** A request that carries an `Authorization` header at all. */
const HAS_AUTHORIZATION: wafv2.CfnWebACL.StatementProperty = {
  sizeConstraintStatement: {
    fieldToMatch: { singleHeader: { Name: 'authorization' } },
    comparisonOperator: 'GT',
    size: 0,
    textTransformations: NONE,
  },
};

/**
 * A regional WAFv2 web ACL on the API stage, in front of the throttles of API Gateway:
 *
 * - AWS's common rule set (OWASP-style probes) and known-bad-inputs rule set (exploit payloads such
 *   as Log4Shell). The common set's 8 KB body limit only counts: orders with many lines and product
 *   files are larger, and API Gateway's request models already bound what a body may hold.
 * - A rate limit per client: requests are counted per `Authorization` header (one token, one
 *   client), and a request without one per IP address, so one channel's burst does not block
 *   another's behind the same address and an anonymous flood is still cut.
 * - A looser per-IP limit on everything, so rotating made-up tokens does not escape the count.
 */
export class EdgeProtection extends Construct {
  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeProtectionProps) {
    super(scope, id);
    const managed = (
      name: string,
      priority: number,
      overrides: string[] = [],
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
        },
      },
      visibilityConfig: visibility(name),
    });
    const rateLimited = (
      name: string,
      priority: number,
      statement: wafv2.CfnWebACL.RateBasedStatementProperty,
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      action: { block: {} },
      statement: { rateBasedStatement: statement },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'connected-commerce API: managed protections and rate limits per client',
      visibilityConfig: visibility('CommerceApi'),
      rules: [
        managed('AWSManagedRulesCommonRuleSet', 0, ['SizeRestrictions_BODY']),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
        rateLimited('RatePerClientToken', 2, {
          limit: props.rateLimit,
          evaluationWindowSec: 300,
          aggregateKeyType: 'CUSTOM_KEYS',
          customKeys: [{ header: { name: 'authorization', textTransformations: NONE } }],
        }),
        rateLimited('RatePerIpWithoutToken', 3, {
          limit: props.rateLimit,
          evaluationWindowSec: 300,
          aggregateKeyType: 'IP',
          scopeDownStatement: { notStatement: { statement: HAS_AUTHORIZATION } },
        }),
        rateLimited('RatePerIp', 4, {
          limit: props.rateLimit * PER_IP_CLIENTS,
          evaluationWindowSec: 300,
          aggregateKeyType: 'IP',
        }),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

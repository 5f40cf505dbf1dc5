/**
 * `@fabric-peer/handlers-default`: Fabric's built-in handlers under Fabric's names, so a core.yaml
 * written for Fabric selects the same behaviour here. The peer always loads this plugin.
 */
import { definePlugin } from '@fabric-peer/api';
import { DefaultAuth } from './default-auth.js';
import { DefaultDecorator } from './default-decorator.js';
import { DefaultEndorsement } from './default-endorsement.js';
import { DefaultValidation } from './default-validation.js';
import { ExpirationCheck } from './expiration-check.js';
import { TimeWindowCheck } from './time-window-check.js';

export {
  DefaultAuth,
  DefaultDecorator,
  DefaultEndorsement,
  DefaultValidation,
  ExpirationCheck,
  TimeWindowCheck,
};
export { ProposalRejected } from './errors.js';
export { expiresAt } from './expiration-check.js';

export default definePlugin({
  name: 'handlers-default',
  version: '0.1.0',
  description: "Fabric's built-in auth filters, decorator, endorsement and validation plugins",
  contributes: {
    authFilter: { DefaultAuth, ExpirationCheck, TimeWindowCheck },
    decorator: { DefaultDecorator },
    endorsement: { DefaultEndorsement },
    validation: { DefaultValidation },
  },
});

import { inject } from 'vitest';
import { applyTestEnvironment } from './environment.js';

applyTestEnvironment(inject('dynamoEndpoint'));

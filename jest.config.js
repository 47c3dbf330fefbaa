/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // middy 7 ships ES modules only; ts-jest turns them into CommonJS for Jest's module system.
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }] },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  // ...and exports them under the `import` condition only, which Jest's CommonJS resolver does not use.
  moduleNameMapper: { '^@middy/(core|util)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/test/support/worker-engine.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // A hang guard, not a speed check: the concurrency suites (300 intakes at once, a thousand
  // locations) take 10–40 s alone and over a minute beside the CDK suites on the other worker.
  testTimeout: 180000,
  maxWorkers: 2,
};

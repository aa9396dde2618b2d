/**
 * TickworkModule: the NestJS dynamic module. `forRoot(options)` or `forRootAsync({ useFactory, inject,
 * imports })` provides SchedulerService (global, as ScheduleModule) and runs the decorated methods.
 *
 * Nest is loaded only here, when forRoot or forRootAsync is called (`@nestjs/core`'s DiscoveryModule), so
 * importing `tickwork/nestjs` needs nothing from Nest. The types below are the shapes Nest accepts, written
 * out, so the shipped declarations do not refer to `@nestjs/*` either.
 */
import { createRequire } from 'node:module';
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import { createDefaultLogger } from '../core/logger.js';
import type { SchedulerOptions } from '../scheduler/scheduler-types.js';
import { SchedulerService } from '../scheduler/service.js';
import { TickworkExplorer, type Discovery } from './explorer.js';

/** The injection token of the module's options (forRootAsync's factory result). */
export const TICKWORK_MODULE_OPTIONS = 'TICKWORK_MODULE_OPTIONS';

export interface TickworkModuleOptions extends SchedulerOptions {
  /** Bound on waiting for running jobs at application shutdown, in seconds (default 30); then their signals are aborted. */
  shutdownTimeoutSeconds?: number;
}

export interface TickworkModuleAsyncOptions {
  /** Modules whose providers the factory injects (a ConfigModule ...). */
  imports?: unknown[];
  /** Tokens whose values the factory receives, in order. */
  inject?: unknown[];
  useFactory: (...args: never[]) => TickworkModuleOptions | Promise<TickworkModuleOptions>;
}

/** What forRoot returns: a Nest DynamicModule (the providers are opaque to callers). */
export interface TickworkDynamicModule {
  module: typeof TickworkModule;
  global: boolean;
  imports: never[];
  providers: never[];
  exports: never[];
}

const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 30;

export class TickworkModule {
  /** The module with its options given here. */
  static forRoot(options: TickworkModuleOptions = {}): TickworkDynamicModule {
    checkModuleOptions(options);
    return moduleWith([], { provide: TICKWORK_MODULE_OPTIONS, useValue: options });
  }

  /** The module with its options from a factory run by Nest's injector (config from DI). */
  static forRootAsync(options: TickworkModuleAsyncOptions): TickworkDynamicModule {
    if (typeof options !== 'object' || options === null || typeof options.useFactory !== 'function') {
      throw InvalidArgumentError.field(
        'options.useFactory',
        `forRootAsync needs a useFactory function returning the module options, got ${describeType(options)}.`,
      );
    }
    for (const key of ['imports', 'inject'] as const) {
      if (options[key] !== undefined && !Array.isArray(options[key]))
        throw InvalidArgumentError.field(`options.${key}`, `must be an array, got ${describeType(options[key])}.`);
    }
    const factory = options.useFactory as (...args: unknown[]) => TickworkModuleOptions | Promise<TickworkModuleOptions>;
    return moduleWith(options.imports ?? [], {
      provide: TICKWORK_MODULE_OPTIONS,
      useFactory: async (...args: unknown[]) => {
        const resolved = await factory(...args);
        checkModuleOptions(resolved);
        return resolved;
      },
      inject: options.inject ?? [],
    });
  }
}

function moduleWith(imports: unknown[], optionsProvider: object): TickworkDynamicModule {
  const { DiscoveryModule, DiscoveryService } = loadNestCore();
  const providers = [
    optionsProvider,
    {
      provide: SchedulerService,
      useFactory: (options: TickworkModuleOptions) => {
        // The bound is the module's; every other option is the scheduler's, checked by its constructor.
        const schedulerOptions: TickworkModuleOptions = { ...options };
        delete schedulerOptions.shutdownTimeoutSeconds;
        return new SchedulerService(schedulerOptions);
      },
      inject: [TICKWORK_MODULE_OPTIONS],
    },
    {
      provide: TickworkExplorer,
      useFactory: (scheduler: SchedulerService, discovery: Discovery, options: TickworkModuleOptions) =>
        new TickworkExplorer(scheduler, discovery, options.shutdownTimeoutSeconds ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, options.logger ?? createDefaultLogger()),
      inject: [SchedulerService, DiscoveryService, TICKWORK_MODULE_OPTIONS],
    },
  ];
  return {
    module: TickworkModule,
    // One scheduler for the application, injectable everywhere (ScheduleModule.forRoot is global too).
    global: true,
    imports: [DiscoveryModule, ...imports] as never[],
    providers: providers as never[],
    exports: [SchedulerService, TICKWORK_MODULE_OPTIONS] as never[],
  };
}

/** `@nestjs/core`, resolved from this package as the application's own copy (a CommonJS package: one instance shared with `import`). */
function loadNestCore(): { DiscoveryModule: unknown; DiscoveryService: unknown } {
  try {
    return createRequire(import.meta.url)('@nestjs/core') as { DiscoveryModule: unknown; DiscoveryService: unknown };
  } catch (error) {
    throw new InvalidArgumentError('TickworkModule needs @nestjs/core and @nestjs/common (11): install them (npm install @nestjs/core @nestjs/common).', [
      { path: '@nestjs/core', message: `could not be loaded: ${(error as Error).message}` },
    ]);
  }
}

/** The scheduler checks its own options when made; here only the module's extra key, early. */
function checkModuleOptions(options: TickworkModuleOptions): void {
  if (typeof options !== 'object' || options === null) throw InvalidArgumentError.field('options', `must be an object, got ${describeType(options)}.`);
  const bound = options.shutdownTimeoutSeconds;
  if (bound !== undefined && (typeof bound !== 'number' || !Number.isFinite(bound) || bound < 0)) {
    throw InvalidArgumentError.field('options.shutdownTimeoutSeconds', `must be a non-negative number of seconds, got ${describeType(bound)}.`);
  }
}

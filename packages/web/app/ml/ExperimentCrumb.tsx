import { useCallback } from 'react';
import { Later } from '../ui';
import { experimentName } from './mlflow';

export function ExperimentCrumb({ id }: { id: string }) {
  const get = useCallback(() => experimentName(id), [id]);
  return <Later get={get} fallback="Experiment" />;
}

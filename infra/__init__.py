"""The imgfan CDK app: one stack, ``Imgfan``. Synthesize with ``imgfan synth`` or ``npx aws-cdk synth``."""
